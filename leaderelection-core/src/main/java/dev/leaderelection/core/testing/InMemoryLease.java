package dev.leaderelection.core.testing;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A Lease held in memory, with the compare-and-swap semantics of the Kubernetes API: each write
 * gets a new version; a write with a stale version fails with {@code CONFLICT}. Hand out one {@link
 * #lock(String)} per candidate. Calls complete at once, on the caller's thread; watchers are told
 * of every change synchronously.
 *
 * <p>Thread-safe. Meant for tests and for running an application without a cluster.
 */
public final class InMemoryLease {
  private final String name;
  private final List<LeaseLock.ChangeListener> watchers = new CopyOnWriteArrayList<>();
  private @Nullable LeaseRecord stored;
  private long version;

  /**
   * An empty (not yet created) Lease.
   *
   * @param name a name for descriptions
   */
  public InMemoryLease(String name) {
    this.name = Objects.requireNonNull(name, "name must not be null");
  }

  /**
   * A lock on this Lease for the candidate {@code identity}.
   *
   * @param identity the candidate's identity
   * @return the lock
   */
  public LeaseLock lock(String identity) {
    return new Lock(identity);
  }

  /** {@return the stored record, if the Lease exists} */
  public synchronized Optional<LeaseRecord> current() {
    return Optional.ofNullable(stored);
  }

  /**
   * Writes {@code record} unconditionally, as a hand-edit or another tool would; creates the Lease
   * if needed.
   *
   * @param record the record; its version is ignored
   * @return the stored record with its new version
   */
  public LeaseRecord overwrite(LeaseRecord record) {
    LeaseRecord r;
    synchronized (this) {
      r = record.withVersion(Long.toString(++version));
      stored = r;
    }
    notifyWatchers(r);
    return r;
  }

  /** Deletes the Lease, as {@code kubectl delete lease} would. */
  public void delete() {
    synchronized (this) {
      stored = null;
    }
    notifyWatchers(null);
  }

  private void notifyWatchers(@Nullable LeaseRecord r) {
    for (LeaseLock.ChangeListener w : watchers) {
      w.leaseChanged(r);
    }
  }

  private final class Lock implements LeaseLock {
    private final String identity;

    Lock(String identity) {
      this.identity = identity;
    }

    @Override
    public String identity() {
      return identity;
    }

    @Override
    public String description() {
      return "in-memory lease " + name;
    }

    @Override
    public CompletionStage<Optional<LeaseRecord>> get(Duration timeout) {
      return CompletableFuture.completedFuture(current());
    }

    @Override
    public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
      LeaseRecord r;
      synchronized (InMemoryLease.this) {
        if (stored != null) {
          return CompletableFuture.failedFuture(
              new LeaseLockException(
                  LeaseLockException.Reason.CONFLICT, description() + " already exists", null));
        }
        r = record.withVersion(Long.toString(++version));
        stored = r;
      }
      notifyWatchers(r);
      return CompletableFuture.completedFuture(r);
    }

    @Override
    public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
      LeaseRecord r;
      synchronized (InMemoryLease.this) {
        LeaseRecord s = stored;
        if (s == null) {
          return CompletableFuture.failedFuture(
              new LeaseLockException(
                  LeaseLockException.Reason.NOT_FOUND, description() + " does not exist", null));
        }
        if (!Objects.equals(s.version(), record.version())) {
          return CompletableFuture.failedFuture(
              new LeaseLockException(
                  LeaseLockException.Reason.CONFLICT,
                  description()
                      + " was modified: version "
                      + record.version()
                      + " is stale, now "
                      + s.version(),
                  null));
        }
        r = record.withVersion(Long.toString(++version));
        stored = r;
      }
      notifyWatchers(r);
      return CompletableFuture.completedFuture(r);
    }

    @Override
    public Watch watch(ChangeListener listener, Scheduler scheduler) {
      watchers.add(listener);
      // As a Kubernetes watch after its initial list: the current record first, then "delivering".
      current().ifPresent(listener::leaseChanged);
      listener.watchHealthChanged(true);
      return () -> watchers.remove(listener);
    }
  }
}
