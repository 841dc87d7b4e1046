package dev.leaderelection.core;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The lock backend SPI: one Lease object in some store, read and written with compare-and-swap.
 *
 * <p>The election calls these methods from its scheduler thread and never blocks on them: every
 * method returns at once and completes its stage later, on any thread. Each call is given a {@code
 * timeout}; the backend should abort the call when it passes, and must not retry on its own (the
 * election decides when to retry; a hidden retry can keep a leader past its deadline). The election
 * enforces the timeout itself as well, so a backend that ignores it cannot hold leadership longer.
 *
 * <p>Failures complete the stage exceptionally, preferably with a {@link LeaseLockException} whose
 * {@link LeaseLockException.Reason} tells a lost race ({@code CONFLICT}) from an outage.
 *
 * <p>Versions: each stored record carries a {@link LeaseRecord#version() version}. A backend whose
 * versions are decimal numbers that grow with every write and never repeat, also after the Lease
 * was deleted and created again (Kubernetes resourceVersions; the in-memory lock's counter), gives
 * fencing tokens that never go backwards; with other versions the token falls back to {@code
 * leaseTransitions}. Records must round-trip {@code acquireTime} and {@code leaseTransitions}
 * exactly: they identify a term, and a record naming this identity with other values is taken for
 * another process's.
 *
 * <p>Implementations must be safe for concurrent use. The in-memory implementation, for one
 * process, is {@link InMemoryLease}; the Kubernetes one is in {@code leaderelection-fabric8}.
 */
public interface LeaseLock {

  /** {@return the identity this candidate writes as holder. Never empty} */
  String identity();

  /**
   * {@return a short description of the Lease for logs and metrics, such as {@code "lease
   * ns/name"}}
   */
  String description();

  /**
   * Reads the current record. A backend that can tell from its own clock how long ago the record
   * was last written sets {@link LeaseRecord#writtenAgo()} (rounded down, never from a writer's
   * clock): a fresh candidate then takes a Lease unwritten for twice its lease duration without
   * waiting. Leave it {@code null} when unsure; the election then waits as client-go does.
   *
   * @param timeout how long the call may take
   * @return the record with its {@link LeaseRecord#version() version}, or empty if the Lease does
   *     not exist
   */
  CompletionStage<Optional<LeaseRecord>> get(Duration timeout);

  /**
   * Creates the Lease with {@code record}. Fails with {@link LeaseLockException.Reason#CONFLICT} if
   * it already exists.
   *
   * @param record the record to store; its version is ignored
   * @param timeout how long the call may take
   * @return the stored record with its new version
   */
  CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout);

  /**
   * Replaces the record if, and only if, the stored version still equals {@code record.version()}.
   * Fails with {@link LeaseLockException.Reason#CONFLICT} if it does not, and with {@link
   * LeaseLockException.Reason#NOT_FOUND} if the Lease is gone.
   *
   * @param record the record to store, carrying the version it was based on
   * @param timeout how long the call may take
   * @return the stored record with its new version
   */
  CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout);

  /**
   * Asks to be told when the Lease changes, so that a candidate can react to a release at once
   * instead of at its next poll. Optional: the default returns {@code null}, meaning this backend
   * cannot push changes and the election polls.
   *
   * <p>A watch is an optimisation only: the election never trusts a pushed record for safety; it
   * uses it to decide <em>when</em> to try, and every write is still a compare-and-swap. Events may
   * be late, repeated or stale, and may arrive on any thread.
   *
   * <p>On opening, a watch delivers the current record (if the Lease exists) before it reports
   * {@link ChangeListener#watchHealthChanged delivering}, as a Kubernetes watch does after its
   * initial list: a change made before the watch began must not go unseen.
   *
   * <p>The election calls this each time the candidate goes back to following (after its first
   * attempt, and after each term), and closes the watch when a term begins: a backend must allow a
   * lock to be watched again after an earlier watch was closed. It stops asking once this returned
   * {@code null} or threw.
   *
   * <p>{@code scheduler} is the election's own: a backend runs its timers on it (back-off between
   * reconnects, giving up on a silent stream) instead of starting threads, so that one thread
   * serves any number of electors and a test's manual scheduler drives the watch too. Its tasks
   * must not block.
   *
   * @param listener told of each change; {@code null} means the Lease was deleted
   * @param scheduler the election's scheduler, for the watch's timers
   * @return a handle that stops the watch, or {@code null} if this backend cannot watch
   */
  default @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
    return null;
  }

  /** Told when the watched Lease changes. */
  @FunctionalInterface
  interface ChangeListener {
    /**
     * The Lease changed.
     *
     * @param current the record now stored, or {@code null} if the Lease was deleted
     */
    void leaseChanged(@Nullable LeaseRecord current);

    /**
     * The watch stopped delivering changes (for example the watch request is forbidden or the
     * apiserver is unreachable), or delivers them (again). Call it with {@code true} once the
     * initial state has been read (for a Kubernetes watch: after the initial list, when the stream
     * is open): a watch counts as delivering only once it has said so or delivered an event, and a
     * watch on an absent Lease delivers none. While it does not, candidates poll every {@code
     * retryPeriod}; while it does, they read only when the last record they saw could have expired.
     * Once it reported {@code false}, only {@code true} counts again. The default does nothing.
     *
     * @param healthy whether changes are being delivered
     */
    default void watchHealthChanged(boolean healthy) {}
  }

  /** A running watch. */
  interface Watch extends AutoCloseable {
    /** Stops the watch. Idempotent; does not throw. */
    @Override
    void close();
  }
}
