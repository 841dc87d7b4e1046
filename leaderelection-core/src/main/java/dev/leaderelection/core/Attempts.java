package dev.leaderelection.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * When the election acts: one attempt at a time (an attempt is a chain of calls, such as a read and
 * the write it decides), and one timer for the next. The only place an attempt is scheduled. Used
 * on the election's loop only.
 */
final class Attempts {
  private final Scheduler scheduler;
  private final TimeSource time;
  private final Executor loop;
  private final Runnable attempt;

  private Scheduler.@Nullable Cancellable timer;
  private long timerSeq;
  private boolean inFlight;
  private @Nullable Long planned;
  private CompletableFuture<Void> idle = CompletableFuture.completedFuture(null);
  private boolean stopped;

  /**
   * @param attempt what runs, on the loop, when the timer fires
   */
  Attempts(Scheduler scheduler, TimeSource time, Executor loop, Runnable attempt) {
    this.scheduler = scheduler;
    this.time = time;
    this.loop = loop;
    this.attempt = attempt;
  }

  /**
   * Plans the next attempt at {@code at} (monotonic), replacing the plan. While an attempt is in
   * flight, the earliest time asked for is kept and planned when it finishes.
   */
  void plan(long at) {
    if (stopped) {
      return;
    }
    if (inFlight) {
      planned = planned == null || at - planned < 0 ? at : planned;
      return;
    }
    if (timer != null) {
      timer.cancel();
    }
    long seq = ++timerSeq;
    timer =
        scheduler.schedule(
            () -> loop.execute(() -> fire(seq)), Duration.ofNanos(at - time.nanoTime()));
  }

  private void fire(long seq) {
    if (seq != timerSeq || stopped) {
      return;
    }
    timer = null;
    attempt.run();
  }

  /** {@return whether an attempt is in flight} */
  boolean inFlight() {
    return inFlight;
  }

  /** An attempt starts; the timer is off until it finishes. */
  void begin() {
    if (timer != null) {
      timer.cancel();
      timer = null;
      timerSeq++;
    }
    inFlight = true;
    idle = new CompletableFuture<>();
  }

  /** The attempt in flight finished: plan what was asked for meanwhile. */
  void finish() {
    if (!inFlight) {
      return;
    }
    inFlight = false;
    Long at = planned;
    planned = null;
    idle.complete(null);
    if (at != null) {
      plan(at);
    }
  }

  /** No attempt is planned from now on. */
  void stop() {
    stopped = true;
    planned = null;
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
    timerSeq++;
  }

  /** {@return completes when no attempt is in flight} */
  CompletableFuture<Void> whenIdle() {
    return idle;
  }
}
