package dev.leaderelection.core;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One term of leadership: from a successful acquisition to the moment this candidate stopped
 * leading. Safe to use from any thread.
 */
public interface Leadership {

  /** Why a term ended. */
  enum EndReason {
    /**
     * No renewal succeeded within {@code renewDeadline} of the start of the last successful one.
     */
    RENEW_DEADLINE_EXCEEDED,
    /** The Lease was found held by someone else, or released or deleted by someone else. */
    LOST,
    /** The application yielded leadership. */
    YIELDED,
    /** The elector was closed. */
    CLOSED
  }

  /** {@return the identity that holds this term} */
  String identity();

  /**
   * The fencing token of this term: the store's version of the write that began it (a Kubernetes
   * {@code resourceVersion}, which grows with every write to Leases and is comparable). It is
   * greater than the token of any earlier term on this Lease, of this candidate or any other that
   * follows the same rules, also across a deleted and re-created Lease, and no two terms share one:
   * a resource can reject writes carrying an older token. Backends whose versions are not numbers
   * give {@code leaseTransitions} instead, without those guarantees across a deleted Lease.
   *
   * @return the fencing token
   */
  long fencingToken();

  /**
   * Whether the term is still valid now: not ended, and the monotonic clock is before {@link
   * #validUntilNanos()}. Turns false at the deadline even if the scheduler thread is stuck or the
   * process was frozen.
   *
   * @return whether the term is valid now
   */
  boolean isValid();

  /** {@return monotonic time ({@link TimeSource#nanoTime()}) at which the acquisition succeeded} */
  long validFromNanos();

  /**
   * Monotonic time until which the term is valid: the start of the last successful renewal plus
   * {@code renewDeadline}, or the instant it ended, if earlier. Final once the term ended.
   *
   * @return the end of the validity window, in monotonic nanoseconds
   */
  long validUntilNanos();

  /**
   * Completes when the term ends, on a callback-pool thread (never the scheduler thread). It never
   * completes exceptionally.
   *
   * @return a stage that completes with the reason when the term ends
   */
  CompletionStage<EndReason> ended();

  /** {@return why the term ended, or empty while it lasts} */
  Optional<EndReason> endReason();
}
