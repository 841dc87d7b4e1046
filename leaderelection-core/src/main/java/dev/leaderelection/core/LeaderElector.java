package dev.leaderelection.core;

import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
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
 * <p>The algorithm, step by step (the same as client-go's leader election):
 *
 * <ol>
 *   <li><b>Fast path.</b> While leading, write the cached record with a new {@code renewTime} and
 *       the cached version: one write per {@code retryPeriod}, no read. If it fails, go on to 2.
 *   <li><b>Obtain.</b> Read the Lease (or take the record the watch pushed). If it does not exist,
 *       create it with this candidate as holder (unless a holder seen earlier could still be live:
 *       then wait for its expiry first).
 *   <li><b>Observe.</b> If the record differs from the last one seen, remember it and the local
 *       monotonic time. Another holder's lease expires {@code leaseDurationSeconds} (the record's
 *       own value) after that moment; never judged from the remote {@code renewTime}. An empty
 *       holder is free at once. A record that names this identity but none of this elector's terms
 *       was written by another process with the same identity: it is another holder, and an ERROR.
 *   <li><b>Build.</b> Renewing keeps {@code acquireTime} and {@code leaseTransitions}; a new term
 *       sets {@code acquireTime = renewTime = now} and {@code leaseTransitions + 1}.
 *   <li><b>Write</b> with the version read in 2. A conflict means someone else wrote first.
 * </ol>
 *
 * <p>Every call to the lock gets a timeout no longer than the time left in the current term, and
 * the term ends at its deadline whether or not a call is still hanging. Candidates retry after
 * {@code retryPeriod × [1, 2.2)}, or at the instant the observed lease expires if that is sooner.
 * With a lock that can {@link LeaseLock#watch watch}, candidates take a released Lease at once (one
 * compare-and-swap on the version the watch pushed, no read) and make no request while the watch
 * shows the holder renewing; while the watch is not delivering they poll as without one. Only
 * candidates watch; a leader learns of another writer at its next renewal.
 *
 * <p>Thread safety: all methods may be called from any thread. Each elector's steps run one at a
 * time on the scheduler.
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

  private final String identity;
  private final String name;
  private final LeaderElectionConfig config;
  private final String printableIdentity;
  private final Election election;
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  private LeaderElector(Builder b, LeaderElectionConfig config, LeaderCallbacks callbacks) {
    this.identity = b.lock.identity();
    this.config = config;
    String configured = config.name();
    this.name = configured != null ? configured : b.lock.description();
    this.printableIdentity = LeaseIdentity.printable(identity);
    Notifications notify = new Notifications(b.listeners, callbacks, b.callbackExecutor);
    this.election = new Election(b.lock, name, config, notify, b.scheduler, b.time, b.random);
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
              + state().name().toLowerCase(Locale.ROOT)
              + ". An elector starts once; build a new one to compete again.");
    }
    log.info(
        "Starting leader election for {} as {} ({})",
        name,
        printableIdentity,
        config.toString().replace("LeaderElectionConfig", ""));
    election.start();
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
    Term t = election.term();
    return t != null && t.isValid();
  }

  /** {@return the current term, if this candidate leads now} */
  public Optional<Leadership> currentLeadership() {
    Term t = election.term();
    return t != null && t.isValid() ? Optional.of(t) : Optional.empty();
  }

  /**
   * The holder last observed in the Lease, which may be this candidate; empty if none was seen or
   * the Lease is released or deleted. Observations are at most one poll period old (with a watch,
   * usually milliseconds). The value is written by whoever can write the Lease: escape it before
   * logging it ({@link LeaseIdentity#printable}).
   *
   * @return the last observed holder
   */
  public Optional<String> currentLeader() {
    return election.currentLeader();
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
        election
            .nextLeadership()
            .get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
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
    return lifecycle.get() == Lifecycle.STARTED && election.yieldLeadership();
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
    if (election.notify.inCallback()) {
      return;
    }
    long bound = config.closeTimeout().toNanos() + 3 * config.renewDeadline().toNanos();
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
      election.notify.shutdown();
      closed.complete(null);
      return closed;
    }
    if (prev != Lifecycle.STARTED) {
      return closed;
    }
    var unused =
        election
            .close()
            .whenComplete(
                (r, e) -> {
                  lifecycle.set(Lifecycle.CLOSED);
                  log.info("Leader election for {} as {} closed", name, printableIdentity);
                  closed.complete(null);
                });
    return closed;
  }

  @Override
  public String toString() {
    return "LeaderElector{" + name + ", identity=" + identity + ", state=" + state() + "}";
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
      try {
        LeaseIdentity.validate(lock.identity());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " (lock: " + lock.description() + ")");
      }
      if (listeners.isEmpty()) {
        listeners.add(LeaderElectionListener.NOOP);
      }
      return new LeaderElector(this, c, cb);
    }
  }
}
