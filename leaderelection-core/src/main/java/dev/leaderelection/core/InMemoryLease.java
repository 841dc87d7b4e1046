package dev.leaderelection.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A Lease held in this JVM's memory: a real lock for the electors of one process, with the
 * compare-and-swap semantics of the Kubernetes API. Use it to run an application without a cluster
 * (the Spring starter's {@code leaderelection.mode=local} is built on it) and in tests. Hand out
 * one {@link #lock(String)} per candidate; every lock of one {@code InMemoryLease} competes for the
 * same record.
 *
 * <p><b>Guarantees.</b>
 *
 * <ul>
 *   <li>Each write is atomic: {@code update} stores its record only if the stored version still
 *       equals the record's (else it fails with {@link LeaseLockException.Reason#CONFLICT}, or
 *       {@link LeaseLockException.Reason#NOT_FOUND} once the Lease was deleted), and {@code create}
 *       only if the Lease does not exist (else {@code CONFLICT}). Of concurrent writes based on one
 *       version, exactly one succeeds.
 *   <li>Versions are decimal numbers that grow with every write, {@link #overwrite} included, and
 *       never repeat, also after {@link #delete()} and a new {@code create}: fencing tokens never
 *       go backwards, as with Kubernetes resourceVersions.
 *   <li>A record is stored exactly as written apart from its version ({@code acquireTime} and
 *       {@code leaseTransitions} round-trip), and {@code get} returns the stored record.
 *   <li>A watch delivers the current record (if any) when it opens, then reports that it delivers,
 *       then pushes every later change, deletions as {@code null}; it never fails.
 * </ul>
 *
 * <p><b>Non-guarantees.</b>
 *
 * <ul>
 *   <li>Nothing is shared with other processes, or with another {@code InMemoryLease} of the same
 *       name: every process running its own instance wins its own election. It must not stand in
 *       for a Kubernetes Lease where several replicas run.
 *   <li>Nothing survives the process.
 *   <li>Reads do not measure {@link LeaseRecord#writtenAgo()} (a record keeps the one it was
 *       written with, and the election writes none), so a fresh candidate waits a whole {@code
 *       leaseDuration} before it takes a record another elector left held, as client-go does.
 *   <li>The timeouts are not used: calls never hang and never fail but as above.
 *   <li>Watchers of writes made concurrently by several threads may be told of them out of order;
 *       each record carries its version, which orders them (the election ignores an older one).
 * </ul>
 *
 * <p><b>Threads.</b> Thread-safe. {@code get}, {@code create} and {@code update} complete before
 * they return, on the caller's thread. Watchers are told of a change synchronously, on the thread
 * that wrote it, after it was stored and with no lock held: a watcher must return quickly, and may
 * call back into the lease.
 */
public final class InMemoryLease {
  private final String name;
  private final List<LeaseLock.ChangeListener> watchers = new CopyOnWriteArrayList<>();
  private @Nullable LeaseRecord stored;
  private long version;

  /**
   * An empty (not yet created) Lease.
   *
   * @param name a name for descriptions: the locks describe themselves as {@code "in-memory lease
   *     <name>"}
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
