package dev.leaderelection.core;

import java.time.Duration;

/**
 * Observes an elector for metrics, health and logs. Every method has a no-op default.
 *
 * <p><b>Threads.</b> Methods run synchronously on the scheduler thread, inside the election step
 * that caused them: they must be fast and must not block (update a counter, record a timestamp). An
 * exception thrown by a listener is logged and ignored.
 */
public interface LeaderElectionListener {

  /** A listener that does nothing. */
  LeaderElectionListener NOOP = new LeaderElectionListener() {};

  /**
   * What the election was doing with the lock when a call failed or conflicted. Metrics tag it with
   * the lower-case name ({@code get}, {@code create}, {@code update}, {@code release}).
   */
  enum Operation {
    /** Reading the Lease ({@link LeaseLock#get}) to decide whether to acquire or renew. */
    GET,
    /** Creating the Lease ({@link LeaseLock#create}) to acquire it when it does not exist. */
    CREATE,
    /**
     * Writing the Lease ({@link LeaseLock#update}) to acquire, renew or re-assert it: every write
     * of a candidate or a leader other than the first one and the release.
     */
    UPDATE,
    /**
     * Releasing the Lease on {@code close()} or a yield: the read before clearing it and the write
     * that clears it ({@link LeaseLock#get} or {@link LeaseLock#update}).
     */
    RELEASE
  }

  /**
   * An attempt to acquire or renew is starting.
   *
   * @param renewal {@code true} if this candidate leads and is renewing
   */
  default void onAttempt(boolean renewal) {}

  /**
   * A renewal by the leader succeeded.
   *
   * @param latency from the start of the attempt to its success
   */
  default void onRenewed(Duration latency) {}

  /**
   * A write lost a compare-and-swap race.
   *
   * @param operation {@link Operation#CREATE}, {@link Operation#UPDATE} or {@link
   *     Operation#RELEASE}
   */
  default void onConflict(Operation operation) {}

  /**
   * A call to the lock failed for another reason than a conflict.
   *
   * @param operation the call that failed
   * @param error the failure, usually a {@link LeaseLockException}
   */
  default void onError(Operation operation, Throwable error) {}

  /**
   * A term began.
   *
   * @param leadership the new term
   */
  default void onLeadershipAcquired(Leadership leadership) {}

  /**
   * A term ended; {@link Leadership#validFromNanos()} and {@link Leadership#validUntilNanos()} are
   * now final and bound the whole time this candidate was leader.
   *
   * @param leadership the term that ended
   * @param reason why
   */
  default void onLeadershipEnded(Leadership leadership, Leadership.EndReason reason) {}

  /**
   * A different holder was observed.
   *
   * @param identity the new holder
   */
  default void onNewLeader(String identity) {}

  /**
   * The Lease names this elector's identity but was written by another process: two processes share
   * one identity, a configuration error. The elector does not lead and does not write over that
   * record while it stands; it logs an ERROR once per record.
   *
   * @param identity the shared identity
   */
  default void onDuplicateIdentity(String identity) {}
}
