package dev.leaderelection.core;

import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything an elector tells the application: the listeners (synchronously, on the election's
 * loop, each call guarded) and the callbacks (queued, one at a time, on the callback executor). The
 * only place either is called.
 */
final class Notifications {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  private final List<LeaderElectionListener> listeners;
  private final LeaderCallbacks callbacks;
  private final Executor pool;
  private final SerialExecutor queue;

  Notifications(List<LeaderElectionListener> listeners, LeaderCallbacks callbacks, Executor pool) {
    this.listeners = List.copyOf(listeners);
    this.callbacks = callbacks;
    this.pool = pool;
    this.queue = new SerialExecutor(pool);
  }

  /** Calls every listener; one that throws is logged and ignored. */
  void listeners(Consumer<LeaderElectionListener> event) {
    for (LeaderElectionListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("A LeaderElectionListener threw; ignored", e);
      }
    }
  }

  void attempt(boolean renewal) {
    listeners(l -> l.onAttempt(renewal));
  }

  void renewed(Duration latency) {
    listeners(l -> l.onRenewed(latency));
  }

  /** A term began: listeners now, the start callback in turn (unless the term ended first). */
  void started(Term t) {
    listeners(l -> l.onLeadershipAcquired(t));
    queue.execute(
        () -> {
          if (t.endReason().isPresent()) {
            return; // ended before its start could run: neither start nor stop
          }
          t.markStarted();
          callbacks.onStartedLeading(t);
        });
  }

  /** A term ended: listeners now, {@code ended()} on the pool, the paired stop in turn. */
  void ended(Term t, EndReason reason) {
    listeners(l -> l.onLeadershipEnded(t, reason));
    pool.execute(t::signalEnded);
    queue.executeEssential(
        () -> {
          if (t.started()) {
            callbacks.onStoppedLeading(t);
          }
        });
  }

  void newLeader(String holder) {
    listeners(l -> l.onNewLeader(holder));
    queue.execute(() -> callbacks.onNewLeader(holder));
  }

  /** {@return completes when no callback is queued or running} */
  CompletableFuture<Void> whenIdle() {
    return queue.whenIdle();
  }

  boolean inCallback() {
    return queue.inCallback();
  }

  /** No callback starts after this, except the stop that pairs a start that already ran. */
  void shutdown() {
    queue.shutdown();
  }
}
