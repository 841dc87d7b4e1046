package dev.leaderelection.spring;

import dev.leaderelection.core.Leadership;

/**
 * This process became leader. While listeners handle it, {@link LeaderElection#isLeader()} is
 * already true (unless the term has ended in the meantime: check {@link Leadership#isValid()}).
 * Exactly one {@link LeaderRevokedEvent} for the same term follows.
 */
public final class LeaderGrantedEvent extends LeaderElectionEvent {
  private static final long serialVersionUID = 1L;

  private final transient Leadership leadership;

  /**
   * Creates the event.
   *
   * @param election the election
   * @param leadership the term that began
   */
  public LeaderGrantedEvent(LeaderElection election, Leadership leadership) {
    super(election);
    this.leadership = leadership;
  }

  /** {@return the term that began: its fencing token and its end signal} */
  public Leadership leadership() {
    return leadership;
  }

  @Override
  public String toString() {
    return "LeaderGrantedEvent{election="
        + electionName()
        + ", identity="
        + leadership.identity()
        + ", fencingToken="
        + leadership.fencingToken()
        + "}";
  }
}
