package dev.leaderelection.core;

import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The candidate's watch of the Lease: open exactly while the elector follows, closed while it leads
 * (another writer shows at the leader's next renewal) and after close. It counts as delivering only
 * once it has delivered: an event, or the backend's word that its initial state was read. Used on
 * the election's loop only; events are handed to the loop.
 */
final class CandidateWatch {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  /** What the watch tells the election, on the loop. */
  interface Events {
    void changed(@Nullable LeaseRecord record);

    void delivering(boolean delivering);
  }

  private final LeaseLock lock;
  private final String name;
  private final Executor loop;
  private final Scheduler scheduler;
  private final Events events;
  private LeaseLock.@Nullable Watch watch;
  private long seq;
  private boolean unavailable;
  private boolean delivering;
  private boolean told;

  CandidateWatch(LeaseLock lock, String name, Executor loop, Scheduler scheduler, Events events) {
    this.lock = lock;
    this.scheduler = scheduler;
    this.name = name;
    this.loop = loop;
    this.events = events;
  }

  /** {@return whether the watch is open and delivering changes} */
  boolean delivering() {
    return watch != null && delivering;
  }

  /** Opens the watch if {@code wanted} and none is open, closes it if not wanted. */
  void want(boolean wanted) {
    LeaseLock.Watch w = watch;
    if (!wanted && w != null) {
      watch = null;
      seq++;
      delivering = false;
      try {
        w.close();
      } catch (RuntimeException e) {
        log.debug("Closing the watch of {} failed", name, e);
      }
    } else if (wanted && w == null && !unavailable) {
      long mine = ++seq;
      delivering = false;
      told = false;
      try {
        watch = lock.watch(listener(mine), scheduler);
      } catch (RuntimeException e) {
        log.warn("Could not watch {}; polling instead: {}", name, e.toString());
        watch = null;
      }
      unavailable = watch == null;
    }
  }

  private LeaseLock.ChangeListener listener(long mine) {
    return new LeaseLock.ChangeListener() {
      @Override
      public void leaseChanged(@Nullable LeaseRecord current) {
        loop.execute(() -> deliver(mine, true, true, current));
      }

      @Override
      public void watchHealthChanged(boolean healthy) {
        loop.execute(() -> deliver(mine, healthy, false, null));
      }
    };
  }

  private void deliver(long mine, boolean healthy, boolean changed, @Nullable LeaseRecord record) {
    if (mine != seq || watch == null) {
      return; // an event of a watch closed since
    }
    // An event shows the watch delivering, unless the backend said it is not: then only its word
    // that it is again counts.
    boolean now = changed ? delivering || !told : healthy;
    told |= !changed;
    if (now != delivering) {
      delivering = now;
      events.delivering(now);
    }
    if (changed) {
      events.changed(record);
    }
  }
}
