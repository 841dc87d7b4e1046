package dev.leaderelection.core;

import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes part in the election for one Lease: acquires it, renews it while leading, and steps down at
 * the latest at the start of the last successful renewal plus {@code renewDeadline}.
 *
 * <p>Lifecycle: {@code LATENT → STARTED → CLOSED}. {@link #start()} once; {@link #close()} any
 * number of times. An elector cannot be restarted; build a new one.
 *
 * <p>The algorithm, step by step (client-go's {@code tryAcquireOrRenew}, semantics.md §3):
 *
 * <ol>
 *   <li><b>Fast path.</b> While leading, write the cached record with a new {@code renewTime} and
 *       the cached version: one write per {@code retryPeriod}, no read. If it fails, go on to 2.
 *   <li><b>Read.</b> If the Lease does not exist, create it with this candidate as holder (unless a
 *       holder seen earlier could still be live: then wait for its expiry first).
 *   <li><b>Observe.</b> If the record differs from the last one seen, remember it and the local
 *       monotonic time. Another holder's lease expires {@code leaseDurationSeconds} (the record's
 *       own value) after that moment; never judged from the remote {@code renewTime}. An empty
 *       holder is free at once.
 *   <li><b>Build.</b> Renewing keeps {@code acquireTime} and {@code leaseTransitions}; a new term
 *       sets {@code acquireTime = renewTime = now} and {@code leaseTransitions + 1}.
 *   <li><b>Write</b> with the version read in 2. A conflict means someone else wrote first.
 * </ol>
 *
 * <p>Every call to the lock gets a timeout no longer than the time left in the current term, and
 * the term ends at its deadline whether or not a call is still hanging. Candidates retry after
 * {@code retryPeriod × [1, 2.2)}, or at the instant the observed lease expires if that is sooner.
 * With a lock that can {@link LeaseLock#watch watch}, candidates react to a release at once and
 * make no request while the watch shows the holder renewing: they read the Lease only when the
 * record they last saw could have expired (a missed event then costs one read, never a wrong
 * takeover), and poll every {@code retryPeriod} again while the watch reports it is not delivering.
 * Only candidates watch: the watch is opened when an attempt ends without a term and closed when a
 * term begins; a leader learns of another writer at its next renewal.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class LeaderElector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  /** The elector's lifecycle. */
  public enum State {
    /** Built, not started. */
    LATENT,
    /** Started: competing or leading. */
    STARTED,
    /** Closed or closing; cannot be started again. */
    CLOSED
  }

  private enum Lifecycle {
    LATENT,
    STARTED,
    CLOSING,
    CLOSED
  }

  private final LeaseLock lock;
  private final String identity;
  private final String name;
  private final LeaderElectionConfig config;
  private final LeaderCallbacks callbacks;
  private final LeaderElectionListener listener;
  private final Scheduler scheduler;
  private final TimeSource time;
  private final Executor callbackPool;
  private final SerialExecutor callbackQueue;
  private final DoubleSupplier random;
  private final long leaseNanos;
  private final long renewDeadlineNanos;
  private final long retryNanos;
  private final long callTimeoutCapNanos;

  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final Object mu = new Object();

  // Everything below is guarded by mu.
  private volatile @Nullable Term term;
  private volatile CompletableFuture<Leadership> nextLeadership = new CompletableFuture<>();
  private @Nullable LeaseRecord observed;
  private long observedAt;
  private boolean observedAbsent;
  private volatile @Nullable String lastLeader;
  private boolean competing = true;
  private boolean hasNotBefore;
  private long notBefore;
  private boolean inFlight;
  private CompletableFuture<Void> inFlightDone = CompletableFuture.completedFuture(null);
  private boolean hasRequest;
  private long requestedAt;
  private Scheduler.@Nullable Cancellable pending;
  private long pendingAt;
  private long pendingSeq;
  private LeaseLock.@Nullable Watch watch;
  private boolean watchHealthy = true;

  /** Counts the watches opened; events of an earlier one are ignored. */
  private long watchSeq;

  /** The lock cannot watch (returned null or threw): poll, and do not ask again. */
  private boolean watchUnavailable;

  /** Whether the Lease may name this candidate: a write naming it was sent, or it was seen. */
  private boolean mayHold;

  private boolean failing;

  private LeaderElector(Builder b, LeaderElectionConfig config, LeaderCallbacks callbacks) {
    this.lock = b.lock;
    this.identity = b.lock.identity();
    this.config = config;
    String configured = config.name();
    this.name = configured != null ? configured : b.lock.description();
    this.callbacks = callbacks;
    this.listener = b.listeners.size() == 1 ? b.listeners.get(0) : new Fanout(b.listeners);
    this.scheduler = b.scheduler;
    this.time = b.time;
    this.callbackPool = b.callbackExecutor;
    this.callbackQueue = new SerialExecutor(b.callbackExecutor);
    this.random = b.random;
    this.leaseNanos = config.leaseDuration().toNanos();
    this.renewDeadlineNanos = config.renewDeadline().toNanos();
    this.retryNanos = config.retryPeriod().toNanos();
    this.callTimeoutCapNanos = Math.max(retryNanos, renewDeadlineNanos / 2);
  }

  /**
   * Starts building an elector for {@code lock}.
   *
   * @param lock the Lease to compete for, with this candidate's identity
   * @return a builder
   */
  public static Builder builder(LeaseLock lock) {
    return new Builder(lock);
  }

  // ---------------------------------------------------------------------------------------------
  // Public API

  /**
   * Starts competing. Returns at once; the election runs on the scheduler.
   *
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
      throw new IllegalStateException(
          "LeaderElector for "
              + name
              + " cannot be started: it is "
              + state().name().toLowerCase(java.util.Locale.ROOT)
              + ". An elector starts once; build a new one to compete again.");
    }
    log.info(
        "Starting leader election for {} as {} ({})",
        name,
        identity,
        config.toString().replace("LeaderElectionConfig", ""));
    synchronized (mu) {
      scheduleAt(time.nanoTime());
    }
  }

  /** {@return the lifecycle state} */
  public State state() {
    return switch (lifecycle.get()) {
      case LATENT -> State.LATENT;
      case STARTED -> State.STARTED;
      case CLOSING, CLOSED -> State.CLOSED;
    };
  }

  /**
   * Whether this candidate leads now: a term is current and the monotonic clock is before its
   * deadline. Answers from the clock, not from the last renewal's outcome, so it turns false at the
   * deadline even before the election thread notices.
   *
   * @return whether this candidate leads now
   */
  public boolean isLeader() {
    Term t = term;
    return t != null && t.isValid();
  }

  /** {@return the current term, if this candidate leads now} */
  public Optional<Leadership> currentLeadership() {
    Term t = term;
    return t != null && t.isValid() ? Optional.of(t) : Optional.empty();
  }

  /**
   * The holder last observed in the Lease, which may be this candidate; empty if none was seen or
   * the Lease is released or deleted. Observations are at most one poll period old (with a watch,
   * usually milliseconds).
   *
   * @return the last observed holder
   */
  public Optional<String> currentLeader() {
    synchronized (mu) {
      LeaseRecord o = observed;
      if (observedAbsent || o == null || !o.isHeld()) {
        return Optional.empty();
      }
      return Optional.ofNullable(o.holderIdentity());
    }
  }

  /** {@return this candidate's identity} */
  public String identity() {
    return identity;
  }

  /** {@return the configuration} */
  public LeaderElectionConfig config() {
    return config;
  }

  /**
   * Waits until this candidate leads, at most {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the current term, or empty if the timeout passed or the elector was closed
   * @throws InterruptedException if interrupted while waiting
   */
  public Optional<Leadership> awaitLeadership(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<Leadership> now = currentLeadership();
      if (now.isPresent()) {
        return now;
      }
      if (lifecycle.get() == Lifecycle.CLOSING || lifecycle.get() == Lifecycle.CLOSED) {
        return Optional.empty();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      try {
        nextLeadership.get(
            Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException | CancellationException e) {
        // loop: re-check the state and the time left
      }
    }
  }

  /**
   * Gives up leadership: ends the current term ({@link EndReason#YIELDED}), then, once the leader's
   * callbacks have returned, releases the Lease so that another candidate can take it at once. This
   * candidate does not compete again for one {@code leaseDuration}.
   *
   * @return whether this candidate was leading
   */
  public boolean yieldLeadership() {
    synchronized (mu) {
      Term t = term;
      if (lifecycle.get() != Lifecycle.STARTED || t == null) {
        return false;
      }
      long now = time.nanoTime();
      hasNotBefore = true;
      notBefore = now + leaseNanos;
      endTerm(t, EndReason.YIELDED);
      scheduleAt(notBefore);
    }
    var unused =
        callbackQueue
            .whenIdle()
            .thenRun(
                () ->
                    scheduler.execute(
                        () -> {
                          synchronized (mu) {
                            var unusedRelease = release(time.nanoTime() + renewDeadlineNanos);
                          }
                        }));
    return true;
  }

  /**
   * Closes the elector and waits for it: stops competing, ends the current term ({@link
   * EndReason#CLOSED}), waits up to {@code closeTimeout} for the leader's callbacks to return,
   * then, if {@code releaseOnClose}, releases the Lease (bounded by {@code renewDeadline}).
   * Idempotent.
   *
   * <p>After it returns no callback starts, with one exception: if an {@code onStartedLeading}
   * callback overran {@code closeTimeout}, its paired {@code onStoppedLeading} still runs when it
   * returns, and the Lease is not released (the next leader waits {@code leaseDuration} rather than
   * overlap work that is still running). Called from one of this elector's own callbacks, it does
   * not wait: the release follows when the callback returns.
   */
  @Override
  public void close() {
    CompletableFuture<Void> done = closeAsync().toCompletableFuture();
    if (callbackQueue.inCallback()) {
      return;
    }
    long bound = config.closeTimeout().toNanos() + 2 * renewDeadlineNanos + retryNanos;
    try {
      done.get(bound, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Closing leader election for {} did not finish in time: {}", name, e.toString());
    }
  }

  /**
   * Starts closing, as {@link #close()}, without waiting.
   *
   * @return completes when the elector is closed
   */
  public CompletionStage<Void> closeAsync() {
    Lifecycle prev = lifecycle.getAndUpdate(s -> s == Lifecycle.CLOSED ? s : Lifecycle.CLOSING);
    if (prev == Lifecycle.LATENT) {
      lifecycle.set(Lifecycle.CLOSED);
      callbackQueue.shutdown();
      closed.complete(null);
      return closed;
    }
    if (prev != Lifecycle.STARTED) {
      return closed;
    }
    CompletableFuture<Void> attemptDone;
    synchronized (mu) {
      if (pending != null) {
        pending.cancel();
        pending = null;
      }
      syncWatch(); // closing: not wanted any more
      Term t = term;
      if (t != null) {
        endTerm(t, EndReason.CLOSED);
      }
      attemptDone = inFlightDone;
    }
    CompletableFuture<Boolean> callbacksDone = new CompletableFuture<>();
    Scheduler.Cancellable giveUp =
        scheduler.schedule(() -> callbacksDone.complete(false), config.closeTimeout());
    var unusedIdle =
        callbackQueue
            .whenIdle()
            .thenRun(
                () -> {
                  giveUp.cancel();
                  callbacksDone.complete(true);
                });
    var unused =
        attemptDone
            .thenCombine(callbacksDone, (a, idle) -> idle)
            .thenCompose(
                idle -> {
                  if (!idle) {
                    log.warn(
                        "Leader callbacks of {} did not return within closeTimeout {}; not releasing the"
                            + " Lease, so the next leader waits leaseDuration",
                        name,
                        LeaderElectionConfig.format(config.closeTimeout()));
                    return CompletableFuture.completedFuture(false);
                  }
                  if (!config.releaseOnClose()) {
                    return CompletableFuture.completedFuture(false);
                  }
                  CompletableFuture<Boolean> released = new CompletableFuture<>();
                  scheduler.execute(
                      () -> {
                        synchronized (mu) {
                          var unusedRelease =
                              release(time.nanoTime() + renewDeadlineNanos)
                                  .whenComplete((r, e) -> released.complete(r != null && r));
                        }
                      });
                  return released;
                })
            .whenComplete(
                (r, e) -> {
                  lifecycle.set(Lifecycle.CLOSED);
                  callbackQueue.shutdown();
                  nextLeadership.cancel(false);
                  log.info("Leader election for {} as {} closed", name, identity);
                  closed.complete(null);
                });
    return closed;
  }

  @Override
  public String toString() {
    return "LeaderElector{" + name + ", identity=" + identity + ", state=" + state() + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling of attempts (all under mu)

  private void scheduleAt(long at) {
    if (lifecycle.get() != Lifecycle.STARTED) {
      return;
    }
    if (inFlight) {
      if (!hasRequest || at - requestedAt < 0) {
        hasRequest = true;
        requestedAt = at;
      }
      return;
    }
    if (pending != null) {
      if (pendingAt - at <= 0) {
        return;
      }
      pending.cancel();
    }
    long seq = ++pendingSeq;
    pendingAt = at;
    pending = scheduler.schedule(() -> runAttempt(seq), Duration.ofNanos(at - time.nanoTime()));
  }

  private void finishAttempt() {
    inFlight = false;
    inFlightDone.complete(null);
    syncWatch();
    if (hasRequest) {
      hasRequest = false;
      scheduleAt(requestedAt);
    }
  }

  private long candidateRetryAt(long now) {
    double jitter = 1 + random.getAsDouble() * LeaderElectionConfig.JITTER_FACTOR;
    long base = watch != null && watchHealthy ? leaseNanos : retryNanos;
    return now + (long) (base * jitter);
  }

  /** {@return the next attempt for a candidate that must wait for {@code observed} to expire} */
  private long candidateWaitAt(long now) {
    long retry = candidateRetryAt(now);
    long expiry = expiryOfObserved();
    return expiry - retry < 0 ? expiry : retry;
  }

  private long expiryOfObserved() {
    LeaseRecord o = observed;
    long duration = leaseNanos;
    if (o != null && o.leaseDurationSeconds() != null && o.leaseDurationSeconds() > 0) {
      duration = TimeUnit.SECONDS.toNanos(o.leaseDurationSeconds());
    }
    return observedAt + duration;
  }

  /** {@return whether another candidate's lease, as last observed, may still be live} */
  private boolean othersLeaseLive(long now) {
    LeaseRecord o = observed;
    return o != null && o.isHeld() && !o.isHeldBy(identity) && now - expiryOfObserved() < 0;
  }

  private void runAttempt(long seq) {
    synchronized (mu) {
      if (seq != pendingSeq) {
        return;
      }
      pending = null;
      if (lifecycle.get() != Lifecycle.STARTED || inFlight) {
        return;
      }
      Term t = term;
      if (t == null && !competing) {
        return;
      }
      long start = time.nanoTime();
      if (t == null && watch != null && watchHealthy && othersLeaseLive(start)) {
        // The watch shows every change of the holder's record: nothing to read before it could
        // have expired. A missed event costs one conflicting write then, never a wrong takeover.
        scheduleAt(expiryOfObserved());
        return;
      }
      inFlight = true;
      inFlightDone = new CompletableFuture<>();
      safely(() -> listener.onAttempt(t != null));
      if (t != null) {
        renewFast(t, start);
      } else {
        read(start);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The algorithm (all under mu)

  /** Step 1: the leader writes its cached record with a new renewTime; no read. */
  private void renewFast(Term t, long start) {
    long timeout = callTimeout(t, start);
    if (timeout == 0) {
      return;
    }
    LeaseRecord renewal = renewalOf(t.record, t);
    call(
        "update",
        () -> lock.update(renewal, Duration.ofNanos(timeout)),
        timeout,
        (stored, error) -> {
          if (term != t || lifecycle.get() != Lifecycle.STARTED) {
            finishAttempt();
            scheduleAt(time.nanoTime());
            return;
          }
          if (error == null) {
            renewed(t, Objects.requireNonNull(stored), start);
            return;
          }
          report("update", error);
          read(start);
        });
  }

  /** Step 2: read the record, then decide. */
  private void read(long start) {
    long callTimeout = callTimeout(term, time.nanoTime());
    if (callTimeout == 0) {
      return;
    }
    call(
        "get",
        () -> lock.get(Duration.ofNanos(callTimeout)),
        callTimeout,
        (fetched, error) -> {
          if (lifecycle.get() != Lifecycle.STARTED) {
            finishAttempt();
            return;
          }
          if (error != null) {
            report("get", error);
            attemptFailed(error);
            return;
          }
          decide(Objects.requireNonNull(fetched), start);
        });
  }

  /** Steps 3 to 5 on a freshly read record. */
  private void decide(Optional<LeaseRecord> fetched, long start) {
    long now = time.nanoTime();
    Term t = term;
    if (fetched.isEmpty()) {
      observedAbsent = true;
      if (t != null) {
        // Deleted under the leader: re-create it, keeping this term's token.
        create(recordFor(t.acquireTime, t.token, null), t, start);
        return;
      }
      if (!competing || notBeforeActive(now)) {
        finishAttempt();
        scheduleAt(hasNotBefore ? notBefore : candidateRetryAt(now));
        return;
      }
      if (othersLeaseLive(now)) {
        // A deleted Lease does not free the lock early: wait until its last holder's lease expires.
        finishAttempt();
        scheduleAt(expiryOfObserved());
        return;
      }
      LeaseRecord o = observed;
      int transitions = o == null ? 0 : o.leaseTransitionsOrZero() + 1;
      create(recordFor(time.now(), transitions, null), null, start);
      return;
    }

    LeaseRecord record = fetched.get();
    observe(record, now);
    if (t != null) {
      if (record.isHeldBy(identity)) {
        write(recordFor(t.acquireTime, t.token, record), t, start);
        return;
      }
      log.info(
          "{} lost leadership of {}: the Lease is now {}",
          identity,
          name,
          record.isHeld() ? "held by " + record.holderIdentity() : "released");
      endTerm(t, EndReason.LOST);
      if (!competing) {
        finishAttempt();
        return;
      }
    }
    if (notBeforeActive(now)) {
      finishAttempt();
      scheduleAt(notBefore);
      return;
    }
    if (othersLeaseLive(now) && !abandonedOnServer(record)) {
      finishAttempt();
      scheduleAt(candidateWaitAt(now));
      return;
    }
    // Free, expired, abandoned, or still naming this candidate from an earlier term: take it as a
    // new term.
    write(recordFor(time.now(), record.leaseTransitionsOrZero() + 1, record), null, start);
  }

  /**
   * Whether the backend's own clock shows {@code record} unwritten for at least twice its lease
   * duration: then its holder stopped leading long ago (a holder stops at renewDeadline after the
   * start of its last successful write, and renewDeadline &lt; leaseDuration), so there is no need
   * to watch it for a leaseDuration first. Twice the duration leaves a leaseDuration of margin for
   * clock differences between API servers. Only the backend's times are compared, never the
   * holder's renewTime with this process's clock.
   */
  private boolean abandonedOnServer(LeaseRecord record) {
    Duration ago = record.writtenAgo();
    if (ago == null) {
      return false;
    }
    Integer seconds = record.leaseDurationSeconds();
    long duration = seconds != null && seconds > 0 ? TimeUnit.SECONDS.toNanos(seconds) : leaseNanos;
    if (ago.toNanos() < 2 * duration) {
      return false;
    }
    log.info(
        "{}: the Lease held by {} was last written {} ago by the API server's clock, more than"
            + " twice its lease duration: taking it without waiting",
        name,
        record.holderIdentity(),
        LeaderElectionConfig.format(ago));
    return true;
  }

  private boolean notBeforeActive(long now) {
    if (hasNotBefore && now - notBefore < 0) {
      return true;
    }
    hasNotBefore = false;
    return false;
  }

  /**
   * {@return the record to write: this candidate as holder, renewTime now, the config's duration}
   */
  private LeaseRecord recordFor(Instant acquireTime, int transitions, @Nullable LeaseRecord base) {
    return new LeaseRecord(
        identity,
        (int) config.leaseDuration().toSeconds(),
        acquireTime,
        micros(time.now()),
        transitions,
        base == null ? null : base.strategy(),
        base == null ? null : base.preferredHolder(),
        base == null ? null : base.version());
  }

  private LeaseRecord renewalOf(LeaseRecord cached, Term t) {
    return new LeaseRecord(
        identity,
        (int) config.leaseDuration().toSeconds(),
        t.acquireTime,
        micros(time.now()),
        t.token,
        cached.strategy(),
        cached.preferredHolder(),
        cached.version());
  }

  private static Instant micros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  /**
   * The timeout for a call starting at {@code now}: at most the cap, and no more than the time left
   * in {@code t}. If no time is left, ends {@code t}, finishes the attempt and returns 0.
   */
  private long callTimeout(@Nullable Term t, long now) {
    if (t == null) {
      return callTimeoutCapNanos;
    }
    long left = t.validUntil - now;
    if (left > 0) {
      return Math.min(left, callTimeoutCapNanos);
    }
    endTerm(t, EndReason.RENEW_DEADLINE_EXCEEDED);
    finishAttempt();
    scheduleAt(now);
    return 0;
  }

  /** Step 5: compare-and-swap; {@code t} is the term being renewed, or null for a new term. */
  private void write(LeaseRecord record, @Nullable Term t, long start) {
    store("update", record, t, start);
  }

  private void create(LeaseRecord record, @Nullable Term t, long start) {
    store("create", record, t, start);
  }

  private void store(String operation, LeaseRecord record, @Nullable Term t, long start) {
    mayHold = true;
    long writeStart = time.nanoTime();
    long timeout = callTimeout(t, writeStart);
    if (timeout == 0) {
      return;
    }
    Duration d = Duration.ofNanos(timeout);
    call(
        operation,
        () -> operation.equals("create") ? lock.create(record, d) : lock.update(record, d),
        timeout,
        (stored, error) -> written(stored, error, t, start, writeStart, operation));
  }

  private void written(
      @Nullable LeaseRecord stored,
      @Nullable Throwable error,
      @Nullable Term t,
      long start,
      long writeStart,
      String operation) {
    if (lifecycle.get() != Lifecycle.STARTED) {
      finishAttempt();
      return;
    }
    if (error != null) {
      report(operation, error);
      attemptFailed(error);
      return;
    }
    LeaseRecord s = Objects.requireNonNull(stored);
    if (t != null) {
      if (term == t) {
        renewed(t, s, start);
      } else {
        // The term ended (deadline) while the write was in flight; the Lease still names us.
        observe(s, time.nanoTime());
        finishAttempt();
        scheduleAt(time.nanoTime());
      }
      return;
    }
    acquired(s, writeStart);
  }

  private void renewed(Term t, LeaseRecord stored, long start) {
    long now = time.nanoTime();
    t.record = stored;
    long until = start + renewDeadlineNanos;
    if (until - t.validUntil > 0) {
      t.validUntil = until;
    }
    observe(stored, now);
    recovered();
    safely(() -> listener.onRenewed(Duration.ofNanos(now - start)));
    if (now - t.validUntil >= 0) {
      // The process was frozen while the call was in flight: the renewal came back too late.
      endTerm(t, EndReason.RENEW_DEADLINE_EXCEEDED);
      finishAttempt();
      scheduleAt(now);
      return;
    }
    armDeadline(t);
    finishAttempt();
    scheduleAt(Math.max(start + retryNanos - now, 0) + now);
  }

  private void acquired(LeaseRecord stored, long writeStart) {
    long now = time.nanoTime();
    observe(stored, now);
    recovered();
    long validUntil = writeStart + renewDeadlineNanos;
    if (now - validUntil >= 0) {
      // The write came back after the deadline it would have started: never announce it.
      finishAttempt();
      scheduleAt(now);
      return;
    }
    Term t =
        new Term(
            stored.leaseTransitionsOrZero(),
            stored.acquireTime() != null ? stored.acquireTime() : time.now(),
            now,
            validUntil,
            stored);
    term = t;
    armDeadline(t);
    log.info(
        "{} became leader of {} (fencing token {}, valid until +{})",
        identity,
        name,
        t.token,
        LeaderElectionConfig.format(Duration.ofNanos(validUntil - now)));
    safely(() -> listener.onLeadershipAcquired(t));
    nextLeadership.complete(t);
    callbackQueue.execute(
        () -> {
          if (t.endReason != null) {
            return; // ended before its start could run: neither start nor stop
          }
          t.started = true;
          callbacks.onStartedLeading(t);
        });
    finishAttempt();
    scheduleAt(writeStart + retryNanos);
  }

  private void attemptFailed(Throwable error) {
    long now = time.nanoTime();
    Term t = term;
    finishAttempt();
    long next;
    if (t != null) {
      next = now + retryNanos;
    } else {
      next = candidateRetryAt(now);
    }
    if (error instanceof LeaseLockException lle && lle.retryAfter().isPresent()) {
      long hint = now + lle.retryAfter().get().toNanos();
      if (t == null || hint - t.validUntil < 0) {
        next = Math.max(next - now, hint - now) + now;
      }
    }
    if (isConflict(error)) {
      // Someone else wrote: read again soon, the record has changed.
      next = t != null ? now : Math.min(next - now, retryNanos) + now;
    }
    scheduleAt(next);
  }

  private void observe(LeaseRecord record, long now) {
    if (observedAbsent || !record.sameSpecAs(observed)) {
      observedAt = now;
    }
    observed = record;
    observedAbsent = false;
    if (record.isHeldBy(identity)) {
      mayHold = true;
    }
    String holder = record.holderIdentity();
    if (record.isHeld() && holder != null && !holder.equals(lastLeader)) {
      lastLeader = holder;
      log.info("{}: new leader observed: {}", name, holder);
      safely(() -> listener.onNewLeader(holder));
      callbackQueue.execute(() -> callbacks.onNewLeader(holder));
    }
  }

  private void armDeadline(Term t) {
    if (t.deadlineTimer != null) {
      t.deadlineTimer.cancel();
    }
    long until = t.validUntil;
    t.deadlineTimer =
        scheduler.schedule(
            () -> {
              synchronized (mu) {
                if (term == t && time.nanoTime() - t.validUntil >= 0) {
                  log.warn(
                      "{} stops leading {}: no renewal succeeded within renewDeadline {}",
                      identity,
                      name,
                      LeaderElectionConfig.format(config.renewDeadline()));
                  endTerm(t, EndReason.RENEW_DEADLINE_EXCEEDED);
                  scheduleAt(time.nanoTime());
                }
              }
            },
            Duration.ofNanos(until - time.nanoTime()));
  }

  /** Ends {@code t} now: fixes its window, signals cancellation, schedules onStoppedLeading. */
  private void endTerm(Term t, EndReason reason) {
    if (term != t || t.endReason != null) {
      return;
    }
    long now = time.nanoTime();
    if (now - t.validUntil < 0) {
      t.validUntil = now;
    }
    t.endReason = reason;
    term = null;
    nextLeadership = new CompletableFuture<>();
    if (t.deadlineTimer != null) {
      t.deadlineTimer.cancel();
      t.deadlineTimer = null;
    }
    if (reason != EndReason.CLOSED && reason != EndReason.YIELDED && !config.rejoinAfterLoss()) {
      competing = false;
    }
    syncWatch();
    safely(() -> listener.onLeadershipEnded(t, reason));
    callbackPool.execute(() -> t.ended.complete(reason));
    callbackQueue.execute(
        () -> {
          if (t.started) {
            callbacks.onStoppedLeading(t);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Watch

  /**
   * Keeps the watch running exactly while this candidate follows: opened when its first attempt
   * ends without a term, closed when a term begins, opened again when the term ends. A leader needs
   * none (another writer shows at its next renewal), so it is spared the echo of its own renewals
   * and the API server the fan-out to its watch; a candidate that takes a free Lease at once never
   * opens one.
   */
  private void syncWatch() {
    boolean wanted = lifecycle.get() == Lifecycle.STARTED && term == null;
    LeaseLock.Watch w = watch;
    if (!wanted && w != null) {
      watch = null;
      watchSeq++;
      try {
        w.close();
      } catch (RuntimeException e) {
        log.debug("Closing the watch of {} failed", name, e);
      }
    } else if (wanted && w == null && !watchUnavailable) {
      long seq = ++watchSeq;
      watchHealthy = true;
      try {
        watch =
            lock.watch(
                new LeaseLock.ChangeListener() {
                  @Override
                  public void leaseChanged(@Nullable LeaseRecord current) {
                    onWatchEvent(seq, current);
                  }

                  @Override
                  public void watchHealthChanged(boolean healthy) {
                    onWatchHealth(seq, healthy);
                  }
                });
      } catch (RuntimeException e) {
        log.warn("Could not watch {}; polling instead: {}", name, e.toString());
        watch = null;
      }
      watchUnavailable = watch == null;
    }
  }

  private void onWatchEvent(long seq, @Nullable LeaseRecord record) {
    scheduler.execute(
        () -> {
          synchronized (mu) {
            if (lifecycle.get() != Lifecycle.STARTED || seq != watchSeq) {
              return;
            }
            long now = time.nanoTime();
            Term t = term;
            if (record == null) {
              observedAbsent = true;
              if (t != null) {
                scheduleAt(now);
              } else if (competing) {
                scheduleAt(othersLeaseLive(now) ? expiryOfObserved() : now);
              }
              return;
            }
            observe(record, now);
            if (t != null) {
              if (!record.isHeldBy(identity)) {
                scheduleAt(now); // verify at once with a renewal; a stale event costs one write
              }
              return;
            }
            if (!competing) {
              return;
            }
            if (record.isHeldBy(identity)) {
              // Our own write echoed back while its call is in flight; otherwise a Lease still
              // naming us from an earlier term: take it back now.
              if (!inFlight) {
                scheduleAt(hasNotBefore ? Math.max(notBefore - now, 0) + now : now);
              }
            } else if (!record.isHeld()) {
              scheduleAt(hasNotBefore ? Math.max(notBefore - now, 0) + now : now);
            } else {
              scheduleAt(expiryOfObserved());
            }
          }
        });
  }

  private void onWatchHealth(long seq, boolean healthy) {
    scheduler.execute(
        () -> {
          synchronized (mu) {
            if (seq != watchSeq || watchHealthy == healthy) {
              return;
            }
            watchHealthy = healthy;
            log.info(
                "{}: watch {}",
                name,
                healthy
                    ? "delivers changes again; candidates read only when the holder's lease could"
                        + " have expired"
                    : "is not delivering changes; candidates poll every "
                        + LeaderElectionConfig.format(config.retryPeriod()));
            if (!healthy && term == null && competing) {
              scheduleAt(candidateRetryAt(time.nanoTime()));
            }
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Release

  /**
   * Re-reads the Lease and clears it only if it still names this candidate; retries conflicts until
   * {@code deadline}. Runs on the scheduler; never while a term is current.
   */
  private CompletableFuture<Boolean> release(long deadline) {
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    if (!mayHold) {
      // Never wrote or saw a record naming this candidate: nothing to release, no call to make.
      result.complete(false);
      return result;
    }
    releaseStep(deadline, result);
    return result;
  }

  private void releaseStep(long deadline, CompletableFuture<Boolean> result) {
    long now = time.nanoTime();
    long timeout = Math.min(deadline - now, callTimeoutCapNanos);
    if (timeout <= 0) {
      log.warn("{} could not release {} within renewDeadline", identity, name);
      result.complete(false);
      return;
    }
    call(
        "get",
        () -> lock.get(Duration.ofNanos(timeout)),
        timeout,
        (fetched, error) -> {
          if (error != null) {
            report("release", error);
            retryRelease(deadline, result);
            return;
          }
          Optional<LeaseRecord> current = Objects.requireNonNull(fetched);
          if (current.isEmpty() || !current.get().isHeldBy(identity) || term != null) {
            result.complete(false);
            return;
          }
          LeaseRecord r = current.get();
          Instant wall = micros(time.now());
          LeaseRecord cleared =
              new LeaseRecord(
                  "",
                  1,
                  wall,
                  wall,
                  r.leaseTransitions(),
                  r.strategy(),
                  r.preferredHolder(),
                  r.version());
          long writeTimeout = Math.min(deadline - time.nanoTime(), callTimeoutCapNanos);
          if (writeTimeout <= 0) {
            result.complete(false);
            return;
          }
          call(
              "release",
              () -> lock.update(cleared, Duration.ofNanos(writeTimeout)),
              writeTimeout,
              (stored, writeError) -> {
                if (writeError == null) {
                  log.info("{} released {}", identity, name);
                  if (stored != null) {
                    observe(stored, time.nanoTime());
                  }
                  result.complete(true);
                  return;
                }
                report("release", writeError);
                if (isConflict(writeError)) {
                  releaseStep(deadline, result);
                } else {
                  retryRelease(deadline, result);
                }
              });
        });
  }

  private void retryRelease(long deadline, CompletableFuture<Boolean> result) {
    long delay = Math.min(retryNanos / 4, deadline - time.nanoTime());
    if (delay <= 0) {
      result.complete(false);
      return;
    }
    scheduler.schedule(
        () -> {
          synchronized (mu) {
            releaseStep(deadline, result);
          }
        },
        Duration.ofNanos(delay));
  }

  // ---------------------------------------------------------------------------------------------
  // Calls to the lock

  /**
   * Calls the lock with a timeout the election enforces itself; the handler runs on the scheduler,
   * under {@code mu}, exactly once.
   */
  private <T> void call(
      String operation,
      Supplier<CompletionStage<T>> action,
      long timeoutNanos,
      Handler<T> handler) {
    CompletableFuture<T> future;
    try {
      future = action.get().toCompletableFuture();
    } catch (RuntimeException e) {
      future = CompletableFuture.failedFuture(e);
    }
    AtomicBoolean done = new AtomicBoolean();
    CompletableFuture<T> f = future;
    Scheduler.Cancellable timer =
        scheduler.schedule(
            () -> {
              if (done.compareAndSet(false, true)) {
                f.cancel(true);
                synchronized (mu) {
                  handler.accept(
                      null,
                      new LeaseLockException(
                          LeaseLockException.Reason.TIMEOUT,
                          operation
                              + " of "
                              + name
                              + " did not finish within "
                              + LeaderElectionConfig.format(Duration.ofNanos(timeoutNanos)),
                          null));
                }
              }
            },
            Duration.ofNanos(timeoutNanos));
    var unused =
        f.whenComplete(
            (value, error) -> {
              if (done.compareAndSet(false, true)) {
                timer.cancel();
                scheduler.execute(
                    () -> {
                      synchronized (mu) {
                        handler.accept(value, error == null ? null : unwrap(error));
                      }
                    });
              }
            });
  }

  private static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static boolean isConflict(Throwable error) {
    return error instanceof LeaseLockException lle && lle.isConflict();
  }

  private void report(String operation, Throwable error) {
    if (isConflict(error)) {
      log.debug("{}: {} conflict: {}", name, operation, error.getMessage());
      safely(() -> listener.onConflict(operation));
      return;
    }
    safely(() -> listener.onError(operation, error));
    if (!failing) {
      failing = true;
      log.warn("{}: {} failed: {}", name, operation, describe(error));
    } else {
      log.debug("{}: {} failed again: {}", name, operation, describe(error));
    }
  }

  private void recovered() {
    if (failing) {
      failing = false;
      log.info("{}: calls to the lock succeed again", name);
    }
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return message != null ? message : error.toString();
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("A LeaderElectionListener threw; ignored", e);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** One term of leadership. Fields written under mu; read from any thread. */
  private final class Term implements Leadership {
    final int token;
    final Instant acquireTime;
    final long validFrom;
    volatile long validUntil;
    volatile @Nullable EndReason endReason;
    volatile boolean started;
    LeaseRecord record;
    Scheduler.@Nullable Cancellable deadlineTimer;
    final CompletableFuture<EndReason> ended = new CompletableFuture<>();

    Term(int token, Instant acquireTime, long validFrom, long validUntil, LeaseRecord record) {
      this.token = token;
      this.acquireTime = acquireTime;
      this.validFrom = validFrom;
      this.validUntil = validUntil;
      this.record = record;
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

  /** Receives the outcome of a lock call: exactly one of the two is non-null. */
  @FunctionalInterface
  private interface Handler<T> {
    void accept(@Nullable T value, @Nullable Throwable error);
  }

  /** Several listeners as one. */
  private record Fanout(List<LeaderElectionListener> all) implements LeaderElectionListener {
    @Override
    public void onAttempt(boolean renewal) {
      all.forEach(l -> l.onAttempt(renewal));
    }

    @Override
    public void onRenewed(Duration latency) {
      all.forEach(l -> l.onRenewed(latency));
    }

    @Override
    public void onConflict(String operation) {
      all.forEach(l -> l.onConflict(operation));
    }

    @Override
    public void onError(String operation, Throwable error) {
      all.forEach(l -> l.onError(operation, error));
    }

    @Override
    public void onLeadershipAcquired(Leadership leadership) {
      all.forEach(l -> l.onLeadershipAcquired(leadership));
    }

    @Override
    public void onLeadershipEnded(Leadership leadership, EndReason reason) {
      all.forEach(l -> l.onLeadershipEnded(leadership, reason));
    }

    @Override
    public void onNewLeader(String identity) {
      all.forEach(l -> l.onNewLeader(identity));
    }
  }

  /** Builds a {@link LeaderElector}. */
  public static final class Builder {
    private final LeaseLock lock;
    private @Nullable LeaderElectionConfig config = LeaderElectionConfig.defaults();
    private @Nullable LeaderCallbacks callbacks =
        new LeaderCallbacks() {
          @Override
          public void onStartedLeading(Leadership leadership) {}
        };
    private final List<LeaderElectionListener> listeners = new ArrayList<>();
    private Scheduler scheduler = Scheduler.shared();
    private TimeSource time = TimeSource.system();
    private Executor callbackExecutor = SerialExecutor.sharedPool();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder(LeaseLock lock) {
      this.lock = Objects.requireNonNull(lock, "lock must not be null");
    }

    /**
     * Sets the configuration (default {@link LeaderElectionConfig#defaults()}).
     *
     * @param config the configuration
     * @return this builder
     */
    public Builder config(LeaderElectionConfig config) {
      this.config = config;
      return this;
    }

    /**
     * Sets the callbacks (default: none; poll {@link LeaderElector#isLeader()} instead).
     *
     * @param callbacks the callbacks
     * @return this builder
     */
    public Builder callbacks(LeaderCallbacks callbacks) {
      this.callbacks = callbacks;
      return this;
    }

    /**
     * Adds an observability listener.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(LeaderElectionListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
      return this;
    }

    /**
     * Sets the scheduler (default {@link Scheduler#shared()}).
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
      return this;
    }

    /**
     * Sets the clocks (default {@link TimeSource#system()}).
     *
     * @param timeSource the clocks
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      this.time = Objects.requireNonNull(timeSource, "timeSource must not be null");
      return this;
    }

    /**
     * Sets the executor that runs callbacks (default: a shared pool of daemon threads). Callbacks
     * of one elector still run one at a time.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder callbackExecutor(Executor executor) {
      this.callbackExecutor = Objects.requireNonNull(executor, "callbackExecutor must not be null");
      return this;
    }

    /** {@return for tests: the source of jitter in [0, 1)} */
    Builder random(DoubleSupplier random) {
      this.random = random;
      return this;
    }

    /**
     * Builds the elector.
     *
     * @return a new, latent elector
     * @throws IllegalArgumentException if the lock has no identity
     * @throws NullPointerException if the configuration or the callbacks were set to null
     */
    public LeaderElector build() {
      LeaderElectionConfig c = Objects.requireNonNull(config, "config must not be null");
      LeaderCallbacks cb = Objects.requireNonNull(callbacks, "callbacks must not be null");
      String id = lock.identity();
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException(
            "Lock identity is empty: give the lock a unique identity per process, for example"
                + " LeaseIdentity.defaultIdentity() (lock: "
                + lock.description()
                + ")");
      }
      if (listeners.isEmpty()) {
        listeners.add(LeaderElectionListener.NOOP);
      }
      return new LeaderElector(this, c, cb);
    }
  }
}
