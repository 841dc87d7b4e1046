package dev.leaderelection.spring;

/**
 * A holder different from the previous one was observed in the Lease, including the first one seen
 * and this process itself (then it comes before the {@link LeaderGrantedEvent}). Not published when
 * the Lease is released or deleted.
 */
public final class NewLeaderEvent extends LeaderElectionEvent {
  private static final long serialVersionUID = 1L;

  /** The new holder's identity. */
  private final String leader;

  /**
   * Creates the event.
   *
   * @param election the election
   * @param leader the new holder's identity
   */
  public NewLeaderEvent(LeaderElection election, String leader) {
    super(election);
    this.leader = leader;
  }

  /** {@return the new holder's identity} */
  public String leader() {
    return leader;
  }

  /** {@return whether the new holder is this process} */
  public boolean isSelf() {
    return leader.equals(election().identity());
  }

  @Override
  public String toString() {
    return "NewLeaderEvent{election=" + electionName() + ", leader=" + leader + "}";
  }
}
