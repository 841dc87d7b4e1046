package dev.leaderelection.spring;

import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.Leadership.EndReason;

/**
 * The term announced by a {@link LeaderGrantedEvent} has ended: renewals failed past the deadline,
 * another process took the Lease, this process yielded, or it is shutting down. {@link
 * LeaderElection#isLeader()} is already false. On yield and shutdown the Lease is released only
 * after the listeners of this event have returned, so stop leader work in them.
 */
public final class LeaderRevokedEvent extends LeaderElectionEvent {
  private static final long serialVersionUID = 1L;

  private final transient Leadership leadership;

  /**
   * Creates the event.
   *
   * @param election the election
   * @param leadership the term that ended
   */
  public LeaderRevokedEvent(LeaderElection election, Leadership leadership) {
    super(election);
    this.leadership = leadership;
  }

  /** {@return the term that ended} */
  public Leadership leadership() {
    return leadership;
  }

  /** {@return why the term ended} */
  public EndReason reason() {
    return leadership.endReason().orElse(EndReason.CLOSED);
  }

  @Override
  public String toString() {
    return "LeaderRevokedEvent{election="
        + electionName()
        + ", identity="
        + leadership.identity()
        + ", fencingToken="
        + leadership.fencingToken()
        + ", reason="
        + reason()
        + "}";
  }
}
