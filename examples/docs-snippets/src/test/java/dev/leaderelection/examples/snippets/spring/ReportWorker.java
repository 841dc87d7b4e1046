package dev.leaderelection.examples.snippets.spring;

import dev.leaderelection.spring.LeaderElection;
import dev.leaderelection.spring.LeaderGrantedEvent;
import dev.leaderelection.spring.LeaderRevokedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

// tag::spring-events[]
@Component
class ReportWorker {
  private final LeaderElection election; // isLeader(), currentLeader(), yieldLeadership()

  ReportWorker(LeaderElection election) {
    this.election = election;
  }

  @EventListener
  public void onGranted(LeaderGrantedEvent event) {
    // election.isLeader() is already true here
    startWork(event.leadership().fencingToken());
  }

  @EventListener
  public void onRevoked(LeaderRevokedEvent event) {
    stopWork(); // event.reason(): RENEW_DEADLINE_EXCEEDED, LOST, YIELDED or CLOSED
  }

  // end::spring-events[]

  void startWork(long fencingToken) {}

  void stopWork() {}
  // tag::spring-events[]
}
// end::spring-events[]
