package dev.leaderelection.spring;

import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.kubernetes.KubernetesLock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One election of {@link ManagedLeaderElections}: the current elector (replaced when the elections
 * are restarted), what its listener has seen, for health, and the {@link LeaderOnly} tasks that are
 * running.
 */
final class ManagedLeaderElection implements LeaderElection {
  private final ElectionSettings settings;
  private final LeaderWork work = new LeaderWork();
  private final Tracker tracker = new Tracker();
  private volatile @Nullable LeaderElector elector;
  private volatile @Nullable LeaseLock lock;
  private volatile @Nullable String namespace;

  /**
   * Call {@link #useLock} and {@link #useElector} before anything else: the elector's callbacks
   * need this object first.
   */
  ManagedLeaderElection(ElectionSettings settings) {
    this.settings = settings;
    this.namespace = settings.namespace();
  }

  /**
   * The Lease's namespace: the one a Kubernetes lock resolved (configured, else the pod's or the
   * kubeconfig's), whatever its client, else the configured one, if any.
   */
  private static @Nullable String namespaceOf(ElectionSettings settings, LeaseLock lock) {
    return lock instanceof KubernetesLock k ? k.namespace() : settings.namespace();
  }

  /** Sets the lock of the elector about to be built. */
  void useLock(LeaseLock newLock) {
    this.lock = newLock;
    this.namespace = namespaceOf(settings, newLock);
  }

  /** Sets the elector built on the lock given to {@link #useLock}. */
  void useElector(LeaderElector newElector) {
    this.elector = newElector;
  }

  ElectionSettings settings() {
    return settings;
  }

  LeaderElector elector() {
    LeaderElector e = elector;
    if (e == null) {
      throw new IllegalStateException("election " + settings.name() + " has no elector yet");
    }
    return e;
  }

  LeaseLock lock() {
    LeaseLock l = lock;
    if (l == null) {
      throw new IllegalStateException("election " + settings.name() + " has no lock yet");
    }
    return l;
  }

  LeaderWork work() {
    return work;
  }

  LeaderElectionListener tracker() {
    return tracker;
  }

  /** {@return the value of the {@code lease} tag of metrics: {@code ns/name}, else the name} */
  String leaseTag() {
    String ns = namespace;
    return ns != null ? ns + "/" + settings.leaseName() : settings.leaseName();
  }

  // ---- LeaderElection ----------------------------------------------------------------------

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public String leaseName() {
    return settings.leaseName();
  }

  @Override
  public Optional<String> namespace() {
    return Optional.ofNullable(namespace);
  }

  @Override
  public String identity() {
    return lock().identity();
  }

  @Override
  public boolean isLeader() {
    return elector().isLeader();
  }

  @Override
  public Optional<String> currentLeader() {
    return elector().currentLeader();
  }

  @Override
  public Optional<Leadership> currentLeadership() {
    return elector().currentLeadership();
  }

  @Override
  public Optional<Leadership> awaitLeadership(Duration timeout) throws InterruptedException {
    return elector().awaitLeadership(timeout);
  }

  @Override
  public boolean yieldLeadership() {
    return elector().yieldLeadership();
  }

  @Override
  public String toString() {
    return "LeaderElection{"
        + name()
        + ", lease="
        + leaseTag()
        + ", identity="
        + identity()
        + ", leader="
        + isLeader()
        + "}";
  }

  // ---- health ------------------------------------------------------------------------------

  /** What the health indicator reports of this election. */
  record Status(
      String role,
      boolean wedged,
      @Nullable Instant lastRenewal,
      @Nullable Duration sinceLastRenewal,
      @Nullable Instant duplicateIdentitySeen,
      @Nullable String lastError,
      @Nullable Instant failingSince,
      @Nullable Duration failingFor) {}

  /**
   * The election as its listener saw it. {@code wedged}: the listener saw a term begin and not end,
   * but no renewal for more than {@code leaseDuration}, so the election's own thread is stuck (a
   * healthy elector ends the term at {@code renewDeadline}).
   *
   * @param nowNanos {@link System#nanoTime()} now
   */
  Status status(long nowNanos) {
    LeaderElector e = elector();
    Tracker t = tracker;
    boolean believesLeading = t.believedTerm != null;
    Instant lastRenewal = believesLeading ? t.lastRenewal : null;
    if (lastRenewal == null && e.isLeader()) {
      // The term began and its listeners have not been told yet: it began at its acquisition.
      lastRenewal =
          e.currentLeadership()
              .map(l -> Instant.now().minusNanos(Math.max(0, nowNanos - l.validFromNanos())))
              .orElse(null);
    }
    Duration since = believesLeading ? Duration.ofNanos(nowNanos - t.lastRenewalNanos) : null;
    boolean wedged =
        believesLeading
            && nowNanos - t.lastRenewalNanos > settings.config().leaseDuration().toNanos();
    String role;
    if (e.state() != LeaderElector.State.STARTED) {
      role = "stopped";
    } else if (e.isLeader()) {
      role = "leader";
    } else if (believesLeading) {
      role = "leader (not renewed)";
    } else {
      role = "follower";
    }
    Failure f = t.failure;
    return new Status(
        role,
        wedged,
        lastRenewal,
        since,
        t.duplicateIdentitySeen,
        f != null ? f.lastError() : null,
        f != null ? f.since() : null,
        f != null ? Duration.ofNanos(Math.max(0, nowNanos - f.sinceNanos())) : null);
  }

  /**
   * Calls to the Lease failing without a success in between: since when, and the last error.
   *
   * @param since when the first of them failed
   * @param sinceNanos the same, by {@link System#nanoTime()}
   * @param lastError the operation and message of the last one
   */
  record Failure(Instant since, long sinceNanos, String lastError) {}

  /**
   * Records acquisitions, renewals, ends and failures, on the election's own thread: cheap and
   * lock-free. Attempts run one after the other, so an attempt that began with no error reported
   * since the previous one began means the previous one reached the API server.
   */
  private static final class Tracker implements LeaderElectionListener {
    volatile @Nullable Leadership believedTerm;
    volatile long lastRenewalNanos;
    volatile @Nullable Instant lastRenewal;
    volatile @Nullable Instant duplicateIdentitySeen;
    volatile @Nullable Failure failure;
    private volatile boolean attempted;
    private volatile boolean errorSinceAttempt;

    private void succeeded() {
      failure = null;
    }

    @Override
    public void onAttempt(boolean renewal) {
      if (attempted && !errorSinceAttempt) {
        succeeded();
      }
      attempted = true;
      errorSinceAttempt = false;
    }

    @Override
    public void onError(Operation operation, Throwable error) {
      errorSinceAttempt = true;
      String message =
          operation.name().toLowerCase(java.util.Locale.ROOT)
              + ": "
              + (error.getMessage() != null ? error.getMessage() : error.getClass().getName());
      Failure f = failure;
      failure =
          f == null
              ? new Failure(Instant.now(), System.nanoTime(), message)
              : new Failure(f.since(), f.sinceNanos(), message);
    }

    @Override
    public void onConflict(Operation operation) {
      succeeded(); // the API server answered
    }

    @Override
    public void onNewLeader(String identity) {
      succeeded();
    }

    @Override
    public void onLeadershipAcquired(Leadership leadership) {
      succeeded();
      lastRenewalNanos = System.nanoTime();
      lastRenewal = Instant.now();
      believedTerm = leadership;
    }

    @Override
    public void onRenewed(Duration latency) {
      lastRenewalNanos = System.nanoTime();
      lastRenewal = Instant.now();
      succeeded();
    }

    @Override
    public void onLeadershipEnded(Leadership leadership, Leadership.EndReason reason) {
      if (believedTerm == leadership) {
        believedTerm = null;
      }
    }

    @Override
    public void onDuplicateIdentity(String identity) {
      duplicateIdentitySeen = Instant.now();
    }
  }
}
