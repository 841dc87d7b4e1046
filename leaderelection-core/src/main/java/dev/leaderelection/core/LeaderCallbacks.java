package dev.leaderelection.core;

/**
 * What the application does when leadership changes.
 *
 * <p><b>Threads.</b> Callbacks of one elector run one at a time, in order, on the elector's
 * callback executor (by default a shared pool of daemon threads named {@code
 * leaderelection-callback-N}), never on the scheduler thread. A callback may block, for example run
 * the leader's work inside {@link #onStartedLeading}: that delays later callbacks of the same
 * elector, never its renewals. The shared pool starts another thread when a callback has waited 10
 * ms behind busy threads, so a blocking callback delays other electors' callbacks by about that
 * much; short callbacks of many electors share one thread.
 *
 * <p><b>Pairs.</b> Every {@code onStartedLeading} is followed by exactly one {@code
 * onStoppedLeading} for the same {@link Leadership}; there is no stop without a start. If a term
 * ends before its start callback could run, neither runs. A callback that throws is logged; the
 * election goes on.
 */
public interface LeaderCallbacks {

  /**
   * This candidate became leader. The term may already be ending when this runs: check {@link
   * Leadership#isValid()} and react to {@link Leadership#ended()}.
   *
   * <p>It may return at once and do the work elsewhere, or do the work here and return when {@link
   * Leadership#ended()} completes; {@code onStoppedLeading} runs after it returns.
   *
   * @param leadership the term: its fencing token and its cancellation signal
   */
  void onStartedLeading(Leadership leadership);

  /**
   * The term that {@code onStartedLeading} announced has ended: renewals failed past the deadline,
   * someone else took the Lease, the elector yielded, or it was closed. Called after {@code
   * onStartedLeading} returned.
   *
   * @param leadership the term that ended; {@link Leadership#endReason()} says why
   */
  default void onStoppedLeading(Leadership leadership) {}

  /**
   * A holder different from the previous one was observed, including the first one seen and this
   * candidate itself. Not called when the Lease is released (holder empty) or deleted.
   *
   * @param identity the new holder's identity
   */
  default void onNewLeader(String identity) {}
}
