package dev.leaderelection.spring;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.spring.LeaderElectionProperties.Mode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * The auto-configured {@link LeaderElections}: builds one elector per election at creation (so that
 * configuration errors stop the start-up at once), starts them as a {@link SmartLifecycle} in phase
 * {@link LeaderElections#PHASE}, and closes them on stop. Electors are single-use; a restart builds
 * new ones.
 */
final class ManagedLeaderElections implements LeaderElections, SmartLifecycle, DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(ManagedLeaderElections.class);

  /** Checks run before the electors start, such as the RBAC self-check. */
  @FunctionalInterface
  interface StartupCheck {
    /**
     * Checks one election.
     *
     * @param election the election
     * @param lock its lock
     * @throws LeaderElectionStartupException if it cannot work
     */
    void check(LeaderElection election, LeaseLock lock);
  }

  private final Map<String, ManagedLeaderElection> byName = new LinkedHashMap<>();
  private final LeaseLockFactory locks;
  private final List<LeaderElectorCustomizer> customizers;
  private final ApplicationEventPublisher publisher;
  private final List<StartupCheck> checks;
  private final Mode mode;
  private boolean running;

  ManagedLeaderElections(
      List<ElectionSettings> settings,
      LeaseLockFactory locks,
      List<LeaderElectorCustomizer> customizers,
      ApplicationEventPublisher publisher,
      List<StartupCheck> checks,
      Mode mode) {
    this.locks = locks;
    this.customizers = List.copyOf(customizers);
    this.publisher = publisher;
    this.checks = List.copyOf(checks);
    this.mode = mode;
    Map<String, String> electionByLease = new LinkedHashMap<>();
    for (ElectionSettings s : settings) {
      ManagedLeaderElection e = new ManagedLeaderElection(s);
      build(e);
      String other = electionByLease.putIfAbsent(e.leaseTag(), s.name());
      if (other != null) {
        // One identity in two electors of one Lease: both would believe they hold it.
        throw new LeaderElectionStartupException(
            "Leader elections '"
                + other
                + "' and '"
                + s.name()
                + "' both compete for the Lease "
                + e.leaseTag()
                + "; a process must take part once per Lease.",
            "Give one of them another lease name (leaderelection.elections.<name>.lease-name).");
      }
      byName.put(s.name(), e);
    }
  }

  private void build(ManagedLeaderElection e) {
    ElectionSettings s = e.settings();
    LeaseLock lock;
    try {
      lock = locks.create(s.lockRequest());
    } catch (RuntimeException ex) {
      String top = s.prefix().equals("leaderelection") ? "" : " (or leaderelection.namespace)";
      if (ex instanceof IllegalStateException && s.namespace() == null) {
        // The backend's message names its builder; a Spring user sets properties.
        NamespaceFallback fallback =
            locks instanceof NamespaceFallback f ? f : NamespaceFallback.FABRIC8;
        throw new LeaderElectionStartupException(
            "Cannot set up the Lease '"
                + s.leaseName()
                + "' of leader election '"
                + s.name()
                + "': it has no namespace. "
                + s.prefix()
                + ".namespace is not set, "
                + fallback.withoutNamespace()
                + "; there may be no cluster at all.",
            "To elect in a cluster, set "
                + s.prefix()
                + ".namespace"
                + top
                + fallback.otherNamespaceSource()
                + ". To run without a cluster (development, tests), set leaderelection.mode=local:"
                + " this process then leads alone, with an in-memory lease.",
            ex);
      }
      throw new LeaderElectionStartupException(
          "Cannot set up the Lease '"
              + s.leaseName()
              + "' of leader election '"
              + s.name()
              + "': "
              + ex.getMessage(),
          "Check the "
              + s.prefix()
              + ".* properties, or set leaderelection.mode=local to run without a cluster.",
          ex);
    }
    e.useLock(lock);
    LeaderElector.Builder b =
        LeaderElector.builder(lock)
            .config(s.config())
            .callbacks(callbacks(e))
            .listener(e.tracker());
    for (LeaderElectorCustomizer c : customizers) {
      c.customize(e, b);
    }
    e.useElector(b.build());
  }

  private LeaderCallbacks callbacks(ManagedLeaderElection e) {
    return new LeaderCallbacks() {
      @Override
      public void onStartedLeading(Leadership leadership) {
        publisher.publishEvent(new LeaderGrantedEvent(e, leadership));
      }

      @Override
      public void onStoppedLeading(Leadership leadership) {
        try {
          publisher.publishEvent(new LeaderRevokedEvent(e, leadership));
        } finally {
          awaitLeaderWork(e, leadership);
        }
      }

      @Override
      public void onNewLeader(String identity) {
        publisher.publishEvent(new NewLeaderEvent(e, identity));
      }
    };
  }

  /**
   * Holds the end of a term until the election's {@link LeaderOnly} runs have returned: the elector
   * releases the Lease (on yield and shutdown) and begins a new term only after this callback
   * returns. On shutdown the elector gives up waiting after its close timeout and then does not
   * release the Lease.
   */
  private static void awaitLeaderWork(ManagedLeaderElection e, Leadership leadership) {
    LeaderWork work = e.work();
    if (work.running() == 0) {
      return;
    }
    Duration step = e.settings().config().leaseDuration();
    try {
      while (!work.awaitIdle(step)) {
        log.warn(
            "Leader election '{}': term {} ended ({}) but {} @LeaderOnly task(s) still run; waiting"
                + " for them before the Lease is released or led again",
            e.name(),
            leadership.fencingToken(),
            leadership.endReason().map(Enum::name).orElse("ended"),
            work.running());
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@return how these elections elect: in the cluster, or locally (no election)} */
  Mode mode() {
    return mode;
  }

  // ---- LeaderElections ---------------------------------------------------------------------

  @Override
  public List<LeaderElection> all() {
    return List.copyOf(byName.values());
  }

  /**
   * The election that {@link LeaderOnly#value()} names.
   *
   * @param name the name, or empty for the primary election
   * @return the election
   * @throws LeaderElectionStartupException if there is none
   */
  static LeaderElection resolve(LeaderElections elections, String name) {
    if (name.isEmpty()) {
      return elections
          .primary()
          .orElseThrow(
              () ->
                  new LeaderElectionStartupException(
                      "@LeaderOnly names no election, and there is no election named 'default'"
                          + " among "
                          + elections.all().stream()
                              .map(LeaderElection::name)
                              .collect(Collectors.toList())
                          + ".",
                      "Name the election: @LeaderOnly(\"<name>\")."));
    }
    try {
      return elections.get(name);
    } catch (NoSuchElementException ex) {
      throw new LeaderElectionStartupException(
          "@LeaderOnly(\"" + name + "\") names an election that does not exist: " + ex.getMessage(),
          "Configure leaderelection.elections." + name + ".*, or fix the name.");
    }
  }

  // ---- SmartLifecycle ----------------------------------------------------------------------

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    for (ManagedLeaderElection e : byName.values()) {
      if (e.elector().state() != LeaderElector.State.LATENT) {
        build(e);
      }
    }
    if (mode == Mode.LOCAL) {
      log.warn(
          "leaderelection.mode=local: NOT ELECTING. {} use(s) an in-memory lease that this process"
              + " always wins, even if other instances of the application run. Use local mode only"
              + " without a cluster; remove leaderelection.mode to compete for a Kubernetes Lease.",
          byName.values().stream()
              .map(e -> "Election '" + e.name() + "' (lease " + e.leaseName() + ")")
              .collect(Collectors.joining(", ")));
    }
    for (ManagedLeaderElection e : byName.values()) {
      for (StartupCheck c : checks) {
        c.check(e, e.lock());
      }
    }
    for (ManagedLeaderElection e : byName.values()) {
      e.elector().start();
    }
    running = true;
  }

  @Override
  public void stop(Runnable callback) {
    List<CompletableFuture<Void>> closing = closeAll();
    var unused =
        CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0]))
            .whenComplete((r, t) -> callback.run());
  }

  @Override
  public void stop() {
    closeAll();
    for (ManagedLeaderElection e : electionsSnapshot()) {
      e.elector().close(); // waits, bounded by the elector's close timeout and renew deadline
    }
  }

  private synchronized List<CompletableFuture<Void>> closeAll() {
    running = false;
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (ManagedLeaderElection e : byName.values()) {
      closing.add(e.elector().closeAsync().toCompletableFuture());
    }
    return closing;
  }

  private synchronized List<ManagedLeaderElection> electionsSnapshot() {
    return List.copyOf(byName.values());
  }

  @Override
  public synchronized boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** Closes the electors if the context goes away without stopping its lifecycle beans. */
  @Override
  public void destroy() {
    stop();
  }

  @Override
  public String toString() {
    return "LeaderElections" + byName.values();
  }
}
