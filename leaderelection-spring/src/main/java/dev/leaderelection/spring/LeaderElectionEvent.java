package dev.leaderelection.spring;

import org.springframework.context.ApplicationEvent;

/**
 * An event of one election. Published with the application context, one at a time per election, on
 * that election's callback thread (never the thread that renews the Lease), in the order things
 * happened: a listener may block, which delays later events of the same election but never its
 * renewals.
 */
public abstract sealed class LeaderElectionEvent extends ApplicationEvent
    permits LeaderGrantedEvent, LeaderRevokedEvent, NewLeaderEvent {
  private static final long serialVersionUID = 1L;

  private final transient LeaderElection election;

  /**
   * Creates an event.
   *
   * @param election the election it is about; also the event's source
   */
  protected LeaderElectionEvent(LeaderElection election) {
    super(election);
    this.election = election;
  }

  /** {@return the election this event is about} */
  public LeaderElection election() {
    return election;
  }

  /** {@return the election's name, as {@link LeaderElection#name()}} */
  public String electionName() {
    return election.name();
  }
}
