package dev.leaderelection.spring;

import dev.leaderelection.core.Leadership;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.event.LeaderEventPublisher;

/**
 * Publishes Spring Integration's {@code OnGrantedEvent} and {@code OnRevokedEvent} for the
 * elections' {@link LeaderGrantedEvent} and {@link LeaderRevokedEvent}, through the application's
 * {@link LeaderEventPublisher} (Spring Integration's default one if it has none), so that {@code
 * SmartLifecycleRoleController} and other listeners of those events work. The role is the
 * election's name; the {@link Context} is that of the term: {@code isLeader()} is true while the
 * term lasts, {@code yield()} gives it up. They are published while the starter's event is
 * delivered, by its first listener, so their listeners run before the application's listeners of
 * the starter's event.
 */
final class IntegrationLeaderEvents implements ApplicationListener<LeaderElectionEvent>, Ordered {
  private final LeaderEventPublisher publisher;

  IntegrationLeaderEvents(LeaderEventPublisher publisher) {
    this.publisher = publisher;
  }

  @Override
  public void onApplicationEvent(LeaderElectionEvent event) {
    if (event instanceof LeaderGrantedEvent g) {
      publisher.publishOnGranted(
          g.election(), new TermContext(g.election(), g.leadership()), g.electionName());
    } else if (event instanceof LeaderRevokedEvent r) {
      publisher.publishOnRevoked(
          r.election(), new TermContext(r.election(), r.leadership()), r.electionName());
    }
  }

  /**
   * First among the listeners of the elections' events: Spring Integration's events, and their
   * listeners, come before the application's listeners of {@link LeaderGrantedEvent} and {@link
   * LeaderRevokedEvent}.
   */
  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public boolean supportsAsyncExecution() {
    return false;
  }

  /** Spring Integration's view of one term of leadership. */
  static final class TermContext implements Context {
    private final LeaderElection election;
    private final Leadership leadership;

    TermContext(LeaderElection election, Leadership leadership) {
      this.election = election;
      this.leadership = leadership;
    }

    @Override
    public boolean isLeader() {
      return leadership.isValid();
    }

    @Override
    public void yield() {
      if (leadership.isValid()) {
        election.yieldLeadership();
      }
    }

    @Override
    public String getRole() {
      return election.name();
    }

    @Override
    public String toString() {
      return "Context{role="
          + election.name()
          + ", identity="
          + leadership.identity()
          + ", fencingToken="
          + leadership.fencingToken()
          + ", leader="
          + isLeader()
          + "}";
    }
  }
}
