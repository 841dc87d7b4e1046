package dev.leaderelection.core.testing;

import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.TimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.concurrent.Executor;

/**
 * A clock and scheduler that only move when told: {@link #advance(Duration)} moves time forward and
 * runs, in time order, every task that falls due; {@link #runPending()} runs what is due now. Use
 * it as the {@link Scheduler}, the {@link TimeSource} and the callback {@link Executor} of electors
 * under test, and no test needs to sleep.
 *
 * <p>Not thread-safe: drive it from the test thread only.
 */
public final class ManualScheduler implements Scheduler, TimeSource, Executor {
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private final Instant wallStart;
  private long now;
  private long seq;

  /**
   * Creates a scheduler whose wall clock starts at 2026-01-01T00:00:00Z and monotonic clock at 0.
   */
  public ManualScheduler() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /**
   * A scheduler whose wall clock starts at {@code wallStart}.
   *
   * @param wallStart the wall-clock time at monotonic time 0
   */
  public ManualScheduler(Instant wallStart) {
    this.wallStart = wallStart;
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    Task t = new Task(now + Math.max(0, delay.toNanos()), seq++, task);
    queue.add(t);
    return () -> t.cancelled = true;
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, Duration.ZERO);
  }

  @Override
  public long nanoTime() {
    return now;
  }

  @Override
  public Instant now() {
    return wallStart.plusNanos(now);
  }

  /** More tasks than this at one instant means tasks keep scheduling each other for now. */
  private static final int MAX_TASKS_AT_ONE_INSTANT = 1_000_000;

  /**
   * Runs every task due now, including tasks they schedule for now.
   *
   * @throws IllegalStateException if tasks keep scheduling tasks for the same instant (a livelock
   *     in the code under test)
   */
  public void runPending() {
    int ran = 0;
    while (true) {
      Task t = queue.peek();
      if (t == null || t.at > now) {
        return;
      }
      queue.poll();
      if (!t.cancelled) {
        if (++ran > MAX_TASKS_AT_ONE_INSTANT) {
          throw new IllegalStateException(
              "More than "
                  + MAX_TASKS_AT_ONE_INSTANT
                  + " tasks ran at one instant: tasks keep scheduling each other for now (last: "
                  + t.task
                  + ")");
        }
        t.task.run();
      }
    }
  }

  /**
   * Moves time forward by {@code duration}, running due tasks in time order at their own instants.
   *
   * @param duration how far to move
   */
  public void advance(Duration duration) {
    long target = now + duration.toNanos();
    runPending();
    while (true) {
      Task t = queue.peek();
      if (t == null || t.at > target) {
        break;
      }
      now = Math.max(now, t.at);
      runPending();
    }
    now = target;
    runPending();
  }

  /**
   * Moves time forward without running anything, as a process frozen by a GC pause or SIGSTOP sees
   * it; due tasks run at the next {@link #runPending()} or {@link #advance(Duration)}.
   *
   * @param duration how long the freeze lasts
   */
  public void freeze(Duration duration) {
    now += duration.toNanos();
  }

  /** {@return the number of tasks waiting, cancelled ones excluded} */
  public int pendingTasks() {
    return (int) queue.stream().filter(t -> !t.cancelled).count();
  }

  private static final class Task implements Comparable<Task> {
    final long at;
    final long seq;
    final Runnable task;
    boolean cancelled;

    Task(long at, long seq, Runnable task) {
      this.at = at;
      this.seq = seq;
      this.task = task;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
