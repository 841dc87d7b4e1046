package dev.leaderelection.benchmarks;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The scenarios. Each returns one row per trial. */
final class Harness {

  static final String NS = "default";
  private static final AtomicInteger SEQ = new AtomicInteger();

  private Harness() {}

  static List<String> javaCommand() {
    String java = ProcessHandle.current().info().command().orElse("java");
    return List.of(
        java,
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        System.getProperty("java.class.path"),
        Main.class.getName());
  }

  static String lease(String prefix) {
    return prefix
        + "-"
        + Long.toString(System.currentTimeMillis() % 100000, 36)
        + "-"
        + SEQ.incrementAndGet();
  }

  static void sleepSeconds(double s) {
    Cluster.sleepMillis((long) (s * 1000));
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** Runs {@code body} once per implementation in parallel and concatenates the rows. */
  static List<Map<String, Object>> perImpl(
      List<Impl> impls, java.util.function.Function<Impl, List<Map<String, Object>>> body) {
    ExecutorService ex = Executors.newFixedThreadPool(impls.size());
    try {
      List<Future<List<Map<String, Object>>>> fs = new ArrayList<>();
      for (Impl i : impls) {
        fs.add(ex.submit(() -> body.apply(i)));
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Future<List<Map<String, Object>>> f : fs) {
        rows.addAll(f.get());
      }
      return rows;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      ex.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Graceful hand-over

  static List<Map<String, Object>> handover(
      Cluster cluster, Impl impl, Profile profile, int trials, Path logDir) {
    Group g =
        new Group(
            impl, profile, "ho-" + impl.id() + "-" + profile.name(), 2, cluster, List.of(), logDir);
    g.spawnAll();
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      for (int i = -1; i < trials; i++) { // trial -1 warms up the JIT and is not recorded
        Proc leader = g.procs.get((i + 2) % 2);
        Proc follower = g.procs.get((i + 3) % 2);
        String lease = lease("ho-" + impl.id());
        int ml = leader.mark();
        int mf = follower.mark();
        leader.send("start " + lease);
        Optional<Proc.Line> led =
            leader.await(
                l -> l.kind().equals("CB_START"), ml, 1000L * (profile.leaseSeconds() + 30));
        Map<String, Object> row = row(impl, profile, "handover", i);
        if (led.isEmpty()) {
          row.put("error", "first candidate never led");
          rows.add(row);
          g.closeAll(lease);
          continue;
        }
        follower.send("start " + lease);
        var unused = follower.await(l -> l.kind().equals("STARTED"), mf, 10_000);
        sleepSeconds(2.2 * profile.retrySeconds() + 0.5);
        int ml2 = leader.mark();
        leader.send("close");
        Optional<Proc.Line> closing = leader.await(l -> l.kind().equals("CLOSING"), ml2, 10_000);
        Optional<Proc.Line> took =
            follower.await(
                l -> l.kind().equals("CB_START"), mf, 1000L * (3 * profile.leaseSeconds() + 10));
        var unused2 = leader.await(l -> l.kind().equals("CLOSED"), ml2, 30_000);
        long windowEnd = System.nanoTime();
        if (closing.isPresent() && took.isPresent()) {
          long t0 = closing.get().at();
          row.put("latencyMs", ms(took.get().at() - t0));
          windowEnd = took.get().at();
          // where the time went: the old leader's close (end of term, release), the new leader's
          // acquisition, and the dispatch of its start callback
          for (Proc.Line l : leader.linesFor(lease)) {
            if (l.kind().equals("CLOSED") && l.at() >= t0) {
              row.put("oldClosedAfterMs", ms(l.at() - t0));
              break;
            }
          }
          for (Proc.Line l : follower.linesFor(lease)) {
            if (l.kind().equals("ACQ") && l.at() >= t0) {
              row.put("newAcquiredAfterMs", ms(Long.parseLong(l.rest().get(0)) - t0));
              break;
            }
          }
        } else {
          row.put("error", "no hand-over within 3 x leaseDuration");
        }
        g.closeAll(lease);
        check(row, Terms.collect(g.procs, lease, System.nanoTime()), windowEnd);
        if (i >= 0) {
          rows.add(row);
        }
      }
    } finally {
      g.exitAll();
    }
    return rows;
  }

  // ---------------------------------------------------------------------------------------------
  // Crash fail-over

  static List<Map<String, Object>> crash(
      Cluster cluster, Impl impl, Profile profile, int trials, Path logDir) {
    Group g =
        new Group(
            impl, profile, "cr-" + impl.id() + "-" + profile.name(), 2, cluster, List.of(), logDir);
    g.spawnAll();
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      for (int i = 0; i < trials; i++) {
        g.respawnDead();
        Proc victim = g.procs.get(i % 2);
        Proc survivor = g.procs.get((i + 1) % 2);
        String lease = lease("cr-" + impl.id());
        int mv = victim.mark();
        int ms = survivor.mark();
        victim.send("start " + lease);
        Map<String, Object> row = row(impl, profile, "crash", i);
        if (victim
            .await(l -> l.kind().equals("CB_START"), mv, 1000L * (profile.leaseSeconds() + 30))
            .isEmpty()) {
          row.put("error", "first candidate never led");
          rows.add(row);
          g.closeAll(lease);
          continue;
        }
        survivor.send("start " + lease);
        var unused = survivor.await(l -> l.kind().equals("STARTED"), ms, 10_000);
        // let the survivor observe a few renewals; randomise the kill's phase within a period
        sleepSeconds(
            2.2 * profile.retrySeconds()
                + 0.5
                + ThreadLocalRandom.current().nextDouble() * profile.retrySeconds());
        long killedAt = victim.kill();
        Optional<Proc.Line> took =
            survivor.await(
                l -> l.kind().equals("CB_START"), ms, 1000L * (3 * profile.leaseSeconds() + 10));
        long windowEnd = System.nanoTime();
        if (took.isPresent()) {
          double failover = ms(took.get().at() - killedAt);
          row.put("latencyMs", failover);
          row.put("minusLeaseMs", failover - profile.leaseSeconds() * 1000.0);
          windowEnd = took.get().at();
        } else {
          row.put("error", "no fail-over within 3 x leaseDuration");
        }
        g.closeAll(lease);
        check(row, Terms.collect(g.procs, lease, System.nanoTime()), windowEnd);
        rows.add(row);
      }
    } finally {
      g.exitAll();
    }
    return rows;
  }

  // ---------------------------------------------------------------------------------------------
  // Time to lead when the Lease was abandoned long ago

  static List<Map<String, Object>> startup(
      Cluster cluster, Impl impl, Profile profile, int trials, Path logDir) {
    Group g =
        new Group(
            impl, profile, "su-" + impl.id() + "-" + profile.name(), 1, cluster, List.of(), logDir);
    g.spawnAll();
    Proc p = g.procs.get(0);
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      // Every trial's Lease is written first, then left alone for 2 x leaseDuration + 3 s by the
      // API server's clock: abandoned long ago by its renewTime (an hour) and by the server.
      List<String> leases = new ArrayList<>();
      List<String> renewTimes = new ArrayList<>();
      for (int i = 0; i < trials; i++) {
        String lease = lease("su-" + impl.id());
        ZonedDateTime longAgo = ZonedDateTime.now(ZoneOffset.UTC).minusHours(1);
        renewTimes.add(
            longAgo.format(
                java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")));
        Lease abandoned =
            new LeaseBuilder()
                .withNewMetadata()
                .withName(lease)
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity("ghost-of-a-pod-long-gone")
                .withLeaseDurationSeconds(profile.leaseSeconds())
                .withAcquireTime(longAgo)
                .withRenewTime(longAgo)
                .withLeaseTransitions(3)
                .endSpec()
                .build();
        cluster.admin().leases().inNamespace(NS).resource(abandoned).create();
        leases.add(lease);
      }
      long untouchedSince = System.nanoTime();
      Cluster.sleepMillis(
          Math.max(
              0,
              1000L * (2 * profile.leaseSeconds() + 3)
                  - (System.nanoTime() - untouchedSince) / 1_000_000));
      for (int i = 0; i < trials; i++) {
        String lease = leases.get(i);
        String t = renewTimes.get(i);
        int m = p.mark();
        p.send("start " + lease);
        Optional<Proc.Line> started = p.await(l -> l.kind().equals("STARTED"), m, 10_000);
        Optional<Proc.Line> led =
            p.await(l -> l.kind().equals("CB_START"), m, 1000L * (3 * profile.leaseSeconds() + 10));
        Map<String, Object> row = row(impl, profile, "startup", i);
        row.put("renewTime", t);
        if (started.isPresent() && led.isPresent()) {
          row.put("latencyMs", ms(led.get().at() - started.get().at()));
        } else {
          row.put("error", "did not lead within 3 x leaseDuration");
        }
        g.closeAll(lease);
        rows.add(row);
      }
    } finally {
      g.exitAll();
    }
    return rows;
  }

  // ---------------------------------------------------------------------------------------------
  // API load at steady state, counted at the API server

  static Map<String, Object> apiBaseline(Cluster cluster, int windowSeconds) {
    Map<String, Double> before = cluster.leaseRequestsByVerb();
    sleepSeconds(windowSeconds);
    Map<String, Double> after = cluster.leaseRequestsByVerb();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("impl", "baseline (no candidates)");
    row.put("windowSeconds", windowSeconds);
    perMinute(row, before, after, windowSeconds, Map.of());
    return row;
  }

  static Map<String, Object> apiLoad(
      Cluster cluster,
      Impl impl,
      Profile profile,
      int windowSeconds,
      Map<String, Double> baselinePerMin,
      Path logDir) {
    Group g =
        new Group(
            impl,
            profile,
            "api-" + impl.id() + "-" + profile.name(),
            3,
            cluster,
            List.of(),
            logDir);
    g.spawnAll();
    String lease = lease("api-" + impl.id());
    Map<String, Object> row = row(impl, profile, "api", 0);
    try {
      int[] marks = new int[3];
      for (int i = 0; i < 3; i++) {
        marks[i] = g.procs.get(i).mark();
        g.procs.get(i).send("start " + lease);
      }
      for (int i = 0; i < 3; i++) {
        int k = i;
        var unused = g.procs.get(i).await(l -> l.kind().equals("STARTED"), marks[k], 10_000);
      }
      // steady state: a leader, and followers past their first attempts and watches
      sleepSeconds(Math.max(10, profile.leaseSeconds() + 3 * profile.retrySeconds()));
      Map<String, Double> before = cluster.leaseRequestsByVerb();
      sleepSeconds(windowSeconds);
      Map<String, Double> after = cluster.leaseRequestsByVerb();
      row.put("windowSeconds", windowSeconds);
      row.put("leader", g.leader(lease).map(p -> p.id).orElse("none"));
      perMinute(row, before, after, windowSeconds, baselinePerMin);
      g.closeAll(lease);
    } finally {
      g.exitAll();
    }
    return row;
  }

  private static void perMinute(
      Map<String, Object> row,
      Map<String, Double> before,
      Map<String, Double> after,
      int windowSeconds,
      Map<String, Double> baselinePerMin) {
    Map<String, Object> verbs = new LinkedHashMap<>();
    double total = 0;
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(after.keySet());
    keys.addAll(baselinePerMin.keySet());
    for (String verb : keys) {
      double d = after.getOrDefault(verb, 0.0) - before.getOrDefault(verb, 0.0);
      double perMin = d * 60.0 / windowSeconds - baselinePerMin.getOrDefault(verb, 0.0);
      perMin = Math.max(0, perMin);
      verbs.put(verb, perMin);
      total += perMin;
    }
    row.put("perMinuteByVerb", verbs);
    row.put("perMinuteTotal", total);
  }

  // ---------------------------------------------------------------------------------------------
  // Chaos

  /** The faults. */
  enum Fault {
    KILL("leader SIGKILL", false),
    STOP("leader SIGSTOP > leaseDuration, then SIGCONT", false),
    PARTITION("leader cut off (relay black-holes)", false),
    CONFLICTS("forced write conflicts", false),
    CLOCK("clock offset ±60 s between candidates, then leader SIGKILL", false),
    APISERVER_RESTART("apiserver restart", true),
    ETCD_PAUSE("etcd paused (SIGSTOP) for leaseDuration", true),
    HA_APISERVER_KILL("HA: one of 2 apiservers SIGKILLed", true),
    HA_ETCD_MOVE_LEADER("HA: etcd leader moved (etcdctl move-leader)", true),
    HA_ETCD_MEMBER_STOP("HA: etcd leader member stopped", true);

    final String label;
    final boolean global;

    Fault(String label, boolean global) {
      this.label = label;
      this.global = global;
    }
  }

  /**
   * One chaos trial on a group: start all on a fresh Lease, wait for a leader, inject, heal, wait
   * for recovery, close, check.
   *
   * @param phaser for global faults: the coordinator injects between two phases of this phaser, by
   *     all groups of the round
   */
  static Map<String, Object> chaosTrial(
      Cluster cluster,
      Group g,
      Fault fault,
      int trial,
      String clusterName,
      @org.jspecify.annotations.Nullable Phaser phaser) {
    Profile pr = g.profile;
    g.respawnDead();
    String lease = lease("ch-" + g.impl.id());
    Map<String, Object> row = row(g.impl, pr, "chaos", trial);
    row.put("fault", fault.name());
    row.put("cluster", clusterName);
    int[] marks = new int[g.procs.size()];
    for (int i = 0; i < g.procs.size(); i++) {
      marks[i] = g.procs.get(i).mark();
      g.procs.get(i).send("start " + lease);
    }
    long setupDeadline = System.nanoTime() + 1_000_000_000L * (pr.leaseSeconds() + 30);
    while (g.leader(lease).isEmpty() && System.nanoTime() < setupDeadline) {
      Cluster.sleepMillis(50);
    }
    sleepSeconds(2.2 * pr.retrySeconds() + 0.5);
    Optional<Proc> leaderOpt = g.leader(lease);
    long tFault = System.nanoTime();
    long tHeal;
    if (fault.global) {
      if (phaser != null) {
        phaser.arriveAndAwaitAdvance(); // all groups set up; the coordinator injects now
        phaser.arriveAndAwaitAdvance(); // healed
        tFault = lastInjection;
      }
      tHeal = System.nanoTime();
    } else if (leaderOpt.isEmpty()) {
      row.put("error", "no leader before the fault");
      tHeal = System.nanoTime();
    } else {
      Proc leader = leaderOpt.get();
      row.put("victim", leader.id);
      switch (fault) {
        case KILL, CLOCK -> {
          if (fault == Fault.CLOCK) {
            sleepSeconds(2.0 * pr.leaseSeconds()); // skewed candidates compete in steady state
            leaderOpt = g.leader(lease);
            leader = leaderOpt.orElse(leader);
          }
          tFault = leader.kill();
        }
        case STOP -> {
          tFault = leader.signal("STOP");
          sleepSeconds(pr.leaseSeconds() + 2.0 * pr.retrySeconds());
          leader.signal("CONT");
        }
        case PARTITION -> {
          tFault = System.nanoTime();
          leader.relay.cut();
          sleepSeconds(pr.leaseSeconds() + pr.renewSeconds() + pr.retrySeconds());
          leader.relay.restore();
        }
        case CONFLICTS -> {
          tFault = System.nanoTime();
          long end = tFault + 1_000_000_000L * (pr.renewSeconds() + 2L * pr.retrySeconds());
          int n = 0;
          while (System.nanoTime() < end) {
            int k = n++;
            try {
              cluster
                  .admin()
                  .leases()
                  .inNamespace(NS)
                  .withName(lease)
                  .edit(
                      l -> {
                        l.getMetadata().getAnnotations().put("bench/churn", Integer.toString(k));
                        return l;
                      });
            } catch (RuntimeException e) {
              // the lease may be mid-update; keep churning
            }
            Cluster.sleepMillis(50);
          }
          row.put("churnWrites", n);
        }
        default -> throw new IllegalStateException("not a local fault: " + fault);
      }
      tHeal = System.nanoTime();
    }
    // recovery: someone leads again, and time for stragglers to notice
    long settle = 1_000_000_000L * (2L * pr.retrySeconds() + 1);
    long deadline =
        tHeal
            + 1_000_000_000L
                * (pr.leaseSeconds() + pr.renewSeconds() + 6L * pr.retrySeconds() + 10);
    while (System.nanoTime() < deadline) {
      if (g.leader(lease).isPresent() && System.nanoTime() > tHeal + settle) {
        break;
      }
      Cluster.sleepMillis(100);
    }
    long windowEnd = System.nanoTime();
    // time from the fault to a new start callback of any candidate
    long recovered = -1;
    for (Proc p : g.procs) {
      for (Proc.Line l : p.linesFor(lease)) {
        if (l.kind().equals("CB_START")
            && l.at() > tFault
            && (recovered < 0 || l.at() < recovered)) {
          recovered = l.at();
        }
      }
    }
    if (recovered > 0) {
      row.put("recoveryMs", ms(recovered - tFault));
    }
    // how long the victim kept believing after the fault (stop callback / end of window)
    if (leaderOpt.isPresent() && fault != Fault.KILL && fault != Fault.CLOCK) {
      Proc v = leaderOpt.get();
      for (Proc.Line l : v.linesFor(lease)) {
        if (l.kind().equals("CB_STOP") && l.at() > tFault) {
          row.put("victimStopAfterFaultMs", ms(l.at() - tFault));
          break;
        }
      }
      for (Proc.Line l : v.linesFor(lease)) {
        if (l.kind().equals("END") && l.at() > tFault) {
          long until = Long.parseLong(l.rest().get(1));
          row.put("victimValidUntilAfterFaultMs", ms(until - tFault));
          row.put("victimEndNoticedLateByMs", ms(l.at() - until));
          break;
        }
      }
    }
    g.closeAll(lease);
    check(row, Terms.collect(g.procs, lease, System.nanoTime()), windowEnd);
    return row;
  }

  /** Injects a global fault into the cluster and heals it; returns a description. */
  static String injectGlobal(Cluster cluster, Fault fault, Profile pr) {
    switch (fault) {
      case APISERVER_RESTART -> {
        ((Cluster.Single) cluster).cp.restartApiServer();
        return "restarted";
      }
      case ETCD_PAUSE -> {
        Cluster.Single s = (Cluster.Single) cluster;
        s.cp.pauseEtcd();
        sleepSeconds(pr.leaseSeconds());
        s.cp.resumeEtcd();
        return "paused " + pr.leaseSeconds() + " s";
      }
      case HA_APISERVER_KILL -> {
        Cluster.Ha h = (Cluster.Ha) cluster;
        int victim = ThreadLocalRandom.current().nextInt(2);
        h.killApiServer(victim);
        sleepSeconds(pr.leaseSeconds() + pr.renewSeconds());
        h.restartApiServer(victim);
        return "killed apiserver " + victim;
      }
      case HA_ETCD_MOVE_LEADER -> {
        Cluster.Ha h = (Cluster.Ha) cluster;
        return h.moveEtcdLeader();
      }
      case HA_ETCD_MEMBER_STOP -> {
        Cluster.Ha h = (Cluster.Ha) cluster;
        int leader = h.etcdLeader();
        h.stopEtcd(leader);
        sleepSeconds(pr.leaseSeconds() + pr.renewSeconds());
        h.restartEtcd(leader);
        return "stopped etcd member " + leader;
      }
      default -> throw new IllegalStateException("not a global fault: " + fault);
    }
  }

  /**
   * Runs a round of a global fault: every group sets up a trial, the fault is injected once, every
   * group recovers and checks.
   */
  static List<Map<String, Object>> globalRound(
      Cluster cluster,
      List<Group> groups,
      Fault fault,
      int trial,
      String clusterName,
      Consumer<String> log) {
    Phaser phaser = new Phaser(groups.size() + 1);
    ExecutorService ex = Executors.newFixedThreadPool(groups.size());
    List<Future<Map<String, Object>>> fs = new ArrayList<>();
    for (Group g : groups) {
      fs.add(ex.submit(() -> chaosTrial(cluster, g, fault, trial, clusterName, phaser)));
    }
    try {
      phaser.arriveAndAwaitAdvance();
      lastInjection = System.nanoTime();
      String what;
      try {
        what = injectGlobal(cluster, fault, groups.get(0).profile);
      } catch (RuntimeException e) {
        what = "injection failed: " + e;
      }
      log.accept(fault + ": " + what);
      phaser.arriveAndAwaitAdvance();
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Future<Map<String, Object>> f : fs) {
        Map<String, Object> r = f.get();
        r.put("injection", what);
        rows.add(r);
      }
      return rows;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      ex.shutdownNow();
    }
  }

  /** When the coordinator of the current global round began injecting its fault. */
  private static volatile long lastInjection;

  // ---------------------------------------------------------------------------------------------

  static Map<String, Object> row(Impl impl, Profile profile, String scenario, int trial) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("impl", impl.id());
    row.put("profile", profile.name());
    row.put("scenario", scenario);
    row.put("trial", trial);
    return row;
  }

  static void check(Map<String, Object> row, Terms.Collected c, long windowEnd) {
    Checker.Result r = Checker.check(c.terms(), c.events(), windowEnd);
    row.put("overlaps", r.overlaps());
    row.put("maxOverlapMs", ms(r.overlapNanos()));
    row.put("gaps", r.gaps());
    row.put("maxGapMs", ms(r.maxGapNanos()));
    row.put("leaderAtEnd", r.leaderAtEnd());
    row.put("outOfOrder", r.outOfOrder());
    if (!r.outOfOrderDetails().isEmpty()) {
      row.put("outOfOrderDetails", r.outOfOrderDetails());
    }
    row.put("terms", c.terms().size());
  }
}
