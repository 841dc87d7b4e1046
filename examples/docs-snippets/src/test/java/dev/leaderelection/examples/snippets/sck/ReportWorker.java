package dev.leaderelection.examples.snippets.sck;

import org.springframework.context.event.EventListener;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;
import org.springframework.stereotype.Component;

/**
 * docs/migration.md: Spring Cloud Kubernetes leader election publishes Spring Integration's events;
 * this code keeps working unchanged with the starter.
 */
// tag::migrate-sck-before[]
@Component
class ReportWorker {
  @EventListener
  public void onGranted(OnGrantedEvent event) {
    // event.getContext().isLeader(), event.getContext().yield(), event.getRole()
    startWork();
  }

  @EventListener
  public void onRevoked(OnRevokedEvent event) {
    stopWork();
  }

  // end::migrate-sck-before[]

  void startWork() {}

  void stopWork() {}
  // tag::migrate-sck-before[]
}
// end::migrate-sck-before[]
