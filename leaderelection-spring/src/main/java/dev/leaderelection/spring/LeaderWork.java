package dev.leaderelection.spring;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Counts the {@link LeaderOnly} runs of one election that are going, so that the end of a term can
 * wait for them before the Lease is released or a new term begins.
 */
final class LeaderWork {
  private int running;

  /** A run is about to check leadership; call {@link #exit()} after it, whatever happens. */
  synchronized void enter() {
    running++;
  }

  /** A run entered with {@link #enter()} is over. */
  synchronized void exit() {
    running--;
    if (running == 0) {
      notifyAll();
    }
  }

  /** {@return how many runs are going} */
  synchronized int running() {
    return running;
  }

  /**
   * Waits until no run is going.
   *
   * @param timeout at most this long; {@code null} waits without bound
   * @return whether no run is going
   * @throws InterruptedException if interrupted while waiting
   */
  synchronized boolean awaitIdle(@Nullable Duration timeout) throws InterruptedException {
    long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
    while (running > 0) {
      if (timeout == null) {
        wait();
      } else {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }
}
