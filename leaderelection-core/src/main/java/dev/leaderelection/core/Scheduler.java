package dev.leaderelection.core;

import java.time.Duration;

/**
 * Runs the election's short, non-blocking steps. Any number of electors share one scheduler; the
 * default, {@link #shared()}, is a single daemon thread for the whole JVM, so electors cost no
 * thread of their own.
 *
 * <p>Tasks given to a scheduler never block: calls to the {@link LeaseLock} are asynchronous and
 * user callbacks run elsewhere. An implementation may run tasks on several threads; the election
 * serialises its own state.
 */
public interface Scheduler {

  /**
   * Runs {@code task} once after {@code delay}.
   *
   * @param task the task
   * @param delay the delay; zero or negative runs it as soon as possible
   * @return a handle that cancels the task if it has not started
   */
  Cancellable schedule(Runnable task, Duration delay);

  /**
   * Runs {@code task} as soon as possible.
   *
   * @param task the task
   */
  default void execute(Runnable task) {
    schedule(task, Duration.ZERO);
  }

  /** A scheduled task that can be cancelled. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not started yet. Idempotent. */
    void cancel();
  }

  /** {@return the JVM-wide scheduler: one daemon thread named {@code leaderelection-scheduler}} */
  static Scheduler shared() {
    return SharedScheduler.INSTANCE;
  }
}
