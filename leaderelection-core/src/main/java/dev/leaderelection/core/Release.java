package dev.leaderelection.core;

import dev.leaderelection.core.LeaderElectionListener.Operation;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the Lease back: re-reads it and clears it (client-go's release record: holder empty, {@code
 * leaseDurationSeconds} 1, times now, {@code leaseTransitions} kept) only if it is still this
 * elector's own, retrying conflicts until a deadline. Never while a term is current. Runs on the
 * election's loop.
 */
final class Release {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  private final LeaseLock lock;
  private final String name;
  private final LockCalls calls;
  private final Scheduler scheduler;
  private final TimeSource time;
  private final java.util.concurrent.Executor loop;
  private final long callCapNanos;
  private final long retryNanos;
  private final Supplier<Knowledge> knowledge;
  private final Consumer<LeaseRecord> observe;

  Release(
      LeaseLock lock,
      String name,
      LockCalls calls,
      Scheduler scheduler,
      TimeSource time,
      java.util.concurrent.Executor loop,
      Decision.Timing timing,
      long callCapNanos,
      Supplier<Knowledge> knowledge,
      Consumer<LeaseRecord> observe) {
    this.lock = lock;
    this.name = name;
    this.calls = calls;
    this.scheduler = scheduler;
    this.time = time;
    this.loop = loop;
    this.callCapNanos = callCapNanos;
    this.retryNanos = timing.retryNanos();
    this.knowledge = knowledge;
    this.observe = observe;
  }

  /**
   * Releases the Lease if it is this elector's, giving up at {@code deadline} (monotonic).
   *
   * @return completes with whether the Lease was cleared
   */
  CompletableFuture<Boolean> run(long deadline) {
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    Knowledge k = knowledge.get();
    if (k.mine().isEmpty()) {
      // Never wrote a record naming this elector: nothing to release, no call to make.
      result.complete(false);
      return result;
    }
    LeaseRecord last = k.observed();
    if (!k.absent() && last != null && k.ours(last)) {
      // The last record known is this elector's own: clear it with a compare-and-swap on its
      // version, no read first. If anyone wrote since, that conflicts and the re-read decides.
      clear(last, deadline, result);
    } else {
      step(deadline, result);
    }
    return result;
  }

  private void step(long deadline, CompletableFuture<Boolean> result) {
    long timeout = timeLeft(deadline);
    if (timeout <= 0) {
      giveUp(result);
      return;
    }
    calls.call(
        Operation.GET,
        () -> lock.get(Duration.ofNanos(timeout)),
        timeout,
        (fetched, error) -> {
          if (error != null) {
            calls.failed(Operation.RELEASE, error);
            retry(deadline, result);
            return;
          }
          Optional<LeaseRecord> current = Objects.requireNonNull(fetched);
          Knowledge k = knowledge.get();
          if (current.isEmpty() || !k.ours(current.get()) || k.leading()) {
            result.complete(false);
            return;
          }
          clear(current.get(), deadline, result);
        });
  }

  private void clear(LeaseRecord r, long deadline, CompletableFuture<Boolean> result) {
    Instant wall = Decision.micros(time.now());
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
    long timeout = timeLeft(deadline);
    if (timeout <= 0) {
      giveUp(result);
      return;
    }
    calls.call(
        Operation.RELEASE,
        () -> lock.update(cleared, Duration.ofNanos(timeout)),
        timeout,
        (stored, error) -> {
          if (error == null) {
            log.info("{} released {}", lock.identity(), name);
            calls.succeeded();
            if (stored != null) {
              observe.accept(stored);
            }
            result.complete(true);
            return;
          }
          calls.failed(Operation.RELEASE, error);
          if (LockCalls.isConflict(error)) {
            step(deadline, result);
          } else {
            retry(deadline, result);
          }
        });
  }

  private void retry(long deadline, CompletableFuture<Boolean> result) {
    long delay = Math.min(retryNanos / 4, deadline - time.nanoTime());
    if (delay <= 0) {
      giveUp(result);
      return;
    }
    scheduler.schedule(() -> loop.execute(() -> step(deadline, result)), Duration.ofNanos(delay));
  }

  private long timeLeft(long deadline) {
    return Math.min(deadline - time.nanoTime(), callCapNanos);
  }

  private void giveUp(CompletableFuture<Boolean> result) {
    log.warn(
        "{} could not release {} within renewDeadline; the next leader waits for the Lease to"
            + " expire",
        lock.identity(),
        name);
    result.complete(false);
  }
}
