package dev.leaderelection.core;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One daemon thread shared by every elector of the JVM that does not bring its own scheduler. */
final class SharedScheduler implements Scheduler {
  static final SharedScheduler INSTANCE = new SharedScheduler();
  private static final Logger log = LoggerFactory.getLogger(SharedScheduler.class);

  private final ScheduledThreadPoolExecutor executor;

  private SharedScheduler() {
    executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "leaderelection-scheduler");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    Runnable guarded =
        () -> {
          try {
            task.run();
          } catch (RuntimeException | Error e) {
            // An escaped exception would silently cancel nothing else, but log it loudly: it is a
            // bug.
            log.error("Unexpected error in leader election task", e);
          }
        };
    ScheduledFuture<?> future =
        executor.schedule(guarded, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }
}
