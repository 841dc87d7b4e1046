package dev.leaderelection.core;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a base executor: one elector's callbacks, or
 * one elector's election steps (its state is confined to it). Knows when it is idle. Once shut down
 * it refuses new tasks and drops queued ones, except those submitted with {@link #executeEssential}
 * (the {@code onStoppedLeading} that pairs a start that already ran).
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
  private static final ThreadLocal<@Nullable SerialExecutor> CURRENT = new ThreadLocal<>();

  private final Executor base;
  private final String failure;
  private final Object mu = new Object();
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private boolean running;
  private boolean shutdown;
  private @Nullable CompletableFuture<Void> idle;

  SerialExecutor(Executor base) {
    this(base, "A leader election callback threw; the election goes on");
  }

  /**
   * @param failure what to log when a task throws
   */
  SerialExecutor(Executor base, String failure) {
    this.base = base;
    this.failure = failure;
  }

  /** A task that still runs after {@link #shutdown()}. */
  private record Essential(Runnable task) implements Runnable {
    @Override
    public void run() {
      task.run();
    }
  }

  /**
   * Runs {@code task} in turn, even if this executor is shut down before its turn comes.
   *
   * @param task the task
   */
  void executeEssential(Runnable task) {
    execute(new Essential(task));
  }

  /**
   * {@return the JVM-wide pool that runs callbacks of electors that bring no executor of their own}
   */
  static Executor sharedPool() {
    return CallbackPool.INSTANCE;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (mu) {
      if (shutdown) {
        return;
      }
      queue.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    base.execute(this::drain);
  }

  /** {@return whether the calling thread is running one of this executor's tasks} */
  boolean inCallback() {
    return CURRENT.get() == this;
  }

  /** {@return completes when no task is queued or running} */
  CompletableFuture<Void> whenIdle() {
    synchronized (mu) {
      if (!running && queue.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      if (idle == null) {
        idle = new CompletableFuture<>();
      }
      return idle;
    }
  }

  /** Refuses tasks submitted from now on and drops the queued ones that are not essential. */
  void shutdown() {
    synchronized (mu) {
      shutdown = true;
      queue.removeIf(t -> !(t instanceof Essential));
    }
  }

  private void drain() {
    while (true) {
      Runnable next;
      CompletableFuture<Void> toComplete = null;
      synchronized (mu) {
        next = queue.poll();
        if (next == null) {
          running = false;
          toComplete = idle;
          idle = null;
        }
      }
      if (next == null) {
        if (toComplete != null) {
          toComplete.complete(null);
        }
        return;
      }
      CURRENT.set(this);
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        log.error(failure, e);
      } finally {
        CURRENT.remove();
      }
    }
  }
}
