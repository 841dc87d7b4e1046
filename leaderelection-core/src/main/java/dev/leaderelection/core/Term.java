package dev.leaderelection.core;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * One term of leadership and its validity window {@code [validFrom, validUntil)} on the monotonic
 * clock. {@link #end} is the only place a term ends; it may be called from any thread (a yield ends
 * the term on the caller's thread). Everything else is written on the election's loop; read from
 * any thread.
 */
final class Term implements Leadership {
  private final String identity;
  private final String name;
  private final long token;
  private final TimeSource time;
  private final long validFrom;
  private volatile long validUntil;
  private volatile @Nullable EndReason endReason;
  private volatile boolean started;
  private Scheduler.@Nullable Cancellable deadline;
  private final CompletableFuture<EndReason> ended = new CompletableFuture<>();

  Term(String identity, String name, long token, TimeSource time, long validFrom, long validUntil) {
    this.identity = identity;
    this.name = name;
    this.token = token;
    this.time = time;
    this.validFrom = validFrom;
    this.validUntil = validUntil;
  }

  /**
   * The fencing token of a term begun by the write that stored {@code stored}: the store's version
   * of that write where it is a number (a Kubernetes resourceVersion: it grows with every write to
   * Leases, also across a deleted and re-created Lease), else {@code leaseTransitions}.
   */
  static long tokenOf(LeaseRecord stored) {
    Long version = Knowledge.numeric(stored.version());
    if (version != null) {
      return version;
    }
    Integer transitions = stored.leaseTransitions();
    return transitions == null || transitions < 0 ? 0 : transitions;
  }

  /**
   * A renewal that started at {@code start} succeeded: the window extends to {@code start +
   * renewDeadline}, never shrinks. Re-arms the deadline timer with {@code onDeadline}.
   */
  synchronized void renewed(long until, Scheduler scheduler, Runnable onDeadline) {
    if (endReason != null) {
      return; // ended meanwhile (a yield on another thread): the window stays as it closed
    }
    if (until - validUntil > 0) {
      validUntil = until;
    }
    arm(scheduler, onDeadline);
  }

  void arm(Scheduler scheduler, Runnable onDeadline) {
    if (deadline != null) {
      deadline.cancel();
    }
    deadline =
        scheduler.schedule(onDeadline, java.time.Duration.ofNanos(validUntil - time.nanoTime()));
  }

  /** {@return whether the window has closed at {@code now}, though the term was not ended yet} */
  boolean pastDeadline(long now) {
    return endReason == null && now - validUntil >= 0;
  }

  /**
   * Ends the term now: closes the window (if still open), records why, stops the deadline timer.
   *
   * @return whether it ended now (false if it had ended before)
   */
  synchronized boolean end(EndReason reason, long now) {
    if (endReason != null) {
      return false;
    }
    if (now - validUntil < 0) {
      validUntil = now;
    }
    endReason = reason;
    if (deadline != null) {
      deadline.cancel();
      deadline = null;
    }
    return true;
  }

  /** Completes {@link #ended()}; called on a callback-pool thread. */
  void signalEnded() {
    ended.complete(java.util.Objects.requireNonNull(endReason));
  }

  void markStarted() {
    started = true;
  }

  boolean started() {
    return started;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public long fencingToken() {
    return token;
  }

  @Override
  public boolean isValid() {
    return endReason == null && time.nanoTime() - validUntil < 0;
  }

  @Override
  public long validFromNanos() {
    return validFrom;
  }

  @Override
  public long validUntilNanos() {
    return validUntil;
  }

  @Override
  public CompletionStage<EndReason> ended() {
    return ended.minimalCompletionStage();
  }

  @Override
  public Optional<EndReason> endReason() {
    return Optional.ofNullable(endReason);
  }

  @Override
  public String toString() {
    return "Leadership{" + name + ", identity=" + identity + ", token=" + token + "}";
  }
}
