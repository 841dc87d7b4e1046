package dev.leaderelection.core;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The JVM-wide pool of daemon threads ({@code leaderelection-callback-N}) that runs callbacks of
 * electors that bring no executor of their own.
 *
 * <p>It grows only when callbacks block: a task waits in a queue for a free thread, and a new
 * thread starts only when the oldest waiting task has waited {@code growAfter} (checked on the
 * scheduler) while every thread is busy. So a burst of short callbacks from many electors (100
 * electors winning at once) runs on one thread, while a callback that blocks (an {@code
 * onStartedLeading} that does the leader's work) delays other electors' callbacks by at most about
 * {@code growAfter}. A thread idle for {@code keepAlive} ends.
 */
final class CallbackPool implements Executor {
  static final CallbackPool INSTANCE =
      new CallbackPool(
          SharedScheduler.INSTANCE,
          TimeSource.system(),
          Duration.ofMillis(10),
          Duration.ofSeconds(60));

  private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

  private final Scheduler scheduler;
  private final TimeSource time;
  private final long growAfterNanos;
  private final long keepAliveNanos;
  private final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
  private final Object mu = new Object();
  private int threads;
  private int idle;
  private boolean checkScheduled;

  CallbackPool(Scheduler scheduler, TimeSource time, Duration growAfter, Duration keepAlive) {
    this.scheduler = scheduler;
    this.time = time;
    this.growAfterNanos = growAfter.toNanos();
    this.keepAliveNanos = keepAlive.toNanos();
  }

  private record Queued(Runnable task, long at) {}

  @Override
  public void execute(Runnable task) {
    queue.add(new Queued(task, time.nanoTime()));
    synchronized (mu) {
      if (threads == 0) {
        spawn();
      } else if (!checkScheduled) {
        checkScheduled = true;
        scheduler.schedule(this::check, Duration.ofNanos(growAfterNanos));
      }
    }
  }

  /** {@return the number of live threads of this pool} */
  int threads() {
    synchronized (mu) {
      return threads;
    }
  }

  /** Starts a thread if a task has waited {@code growAfter} with every thread busy. */
  private void check() {
    synchronized (mu) {
      checkScheduled = false;
      Queued head = queue.peek();
      if (head == null) {
        return;
      }
      long waited = time.nanoTime() - head.at();
      long next = growAfterNanos - waited;
      if (next <= 0) {
        if (idle == 0) {
          spawn();
        }
        next = growAfterNanos;
      }
      checkScheduled = true;
      scheduler.schedule(this::check, Duration.ofNanos(next));
    }
  }

  private void spawn() {
    threads++;
    Thread t = new Thread(this::work, "leaderelection-callback-" + THREAD_NUMBER.incrementAndGet());
    t.setDaemon(true);
    t.start();
  }

  private void work() {
    while (true) {
      synchronized (mu) {
        idle++;
      }
      @Nullable Queued next;
      try {
        next = queue.poll(keepAliveNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        next = null;
      }
      synchronized (mu) {
        idle--;
        if (next == null) {
          if (queue.isEmpty()) {
            threads--;
            return;
          }
          continue;
        }
      }
      // SerialExecutor catches what a callback throws; this is the last line of defence.
      try {
        next.task().run();
      } catch (RuntimeException | Error e) {
        Thread.currentThread()
            .getUncaughtExceptionHandler()
            .uncaughtException(Thread.currentThread(), e);
      }
    }
  }
}
