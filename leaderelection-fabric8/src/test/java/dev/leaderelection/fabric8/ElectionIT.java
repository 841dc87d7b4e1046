package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.T;
import static dev.leaderelection.fabric8.It.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.Leadership.EndReason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Elections with the core engine over the real API server: several electors in this JVM, each with
 * its own client (and TCP relay, so that one can be cut off).
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ElectionIT {
  /**
   * Short timings, safe on a loaded 2-core machine: a margin of 1 s between deadline and expiry.
   */
  private static final LeaderElectionConfig FAST =
      LeaderElectionConfig.builder()
          .leaseDuration(Duration.ofSeconds(4))
          .renewDeadline(Duration.ofSeconds(3))
          .retryPeriod(Duration.ofSeconds(1))
          .build();

  private final TestCluster cluster;
  private final KubernetesClient admin;
  private final List<Candidate> candidates = new ArrayList<>();
  private String ns = "";
  private String name = "";

  ElectionIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = cluster.adminClient();
  }

  @BeforeEach
  void namespace(TestInfo info) {
    ns = cluster.createUniqueNamespace("election");
    name = info.getTestMethod().orElseThrow().getName().toLowerCase(java.util.Locale.ROOT);
  }

  @AfterEach
  void closeAll() {
    for (Candidate c : candidates) {
      c.close();
    }
    // Whatever happened, no two terms overlapped (windows from the engine's monotonic clock).
    List<Term> terms = new ArrayList<>();
    for (Candidate c : candidates) {
      terms.addAll(c.terms);
    }
    for (Term a : terms) {
      for (Term b : terms) {
        if (a != b && a.leadership.validFromNanos() < b.leadership.validFromNanos()) {
          assertThat(a.leadership.validUntilNanos())
              .as("term of %s overlaps the next term of %s", a.identity, b.identity)
              .isLessThanOrEqualTo(b.leadership.validFromNanos());
        }
      }
    }
  }

  /** One term as a candidate saw it. */
  private static final class Term {
    final String identity;
    final Leadership leadership;
    final long startedCallbackNanos = System.nanoTime();
    volatile long stoppedCallbackNanos;

    Term(String identity, Leadership leadership) {
      this.identity = identity;
      this.leadership = leadership;
    }
  }

  /** An elector with its own client and relay, recording its terms. */
  private final class Candidate implements LeaderCallbacks, AutoCloseable {
    final String id;
    final TcpRelay relay;
    final KubernetesClient client;
    final KubernetesLeaseLock lock;
    final LeaderElector elector;
    final List<Term> terms = new CopyOnWriteArrayList<>();
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger stops = new AtomicInteger();
    final AtomicInteger renewals = new AtomicInteger();
    final AtomicLong lastRenewedNanos = new AtomicLong();

    Candidate(String id, LeaderElectionConfig config) {
      this.id = id;
      this.relay = TcpRelay.to(cluster.apiServerUrl());
      this.client = It.client(It.withUrl(cluster.adminConfig(), relay.url()));
      this.lock = KubernetesLeaseLock.builder(client).name(name).namespace(ns).identity(id).build();
      this.elector =
          LeaderElector.builder(lock)
              .config(config)
              .callbacks(this)
              .listener(
                  new LeaderElectionListener() {
                    @Override
                    public void onRenewed(Duration latency) {
                      renewals.incrementAndGet();
                      lastRenewedNanos.set(System.nanoTime());
                    }
                  })
              .build();
      candidates.add(this);
    }

    Candidate start() {
      elector.start();
      return this;
    }

    @Override
    public void onStartedLeading(Leadership leadership) {
      starts.incrementAndGet();
      terms.add(new Term(id, leadership));
    }

    @Override
    public void onStoppedLeading(Leadership leadership) {
      stops.incrementAndGet();
      for (Term t : terms) {
        if (t.leadership == leadership) {
          t.stoppedCallbackNanos = System.nanoTime();
        }
      }
    }

    Term lastTerm() {
      assertThat(terms).as("%s never led", id).isNotEmpty();
      return terms.get(terms.size() - 1);
    }

    @Override
    public void close() {
      elector.close();
      client.close();
      relay.close();
      assertThat(stops.get())
          .as("%s: every start has exactly one stop", id)
          .isEqualTo(starts.get());
    }
  }

  private List<Candidate> start(int n, LeaderElectionConfig config) {
    List<Candidate> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(new Candidate("candidate-" + i, config).start());
    }
    return list;
  }

  /**
   * Waits until exactly one of {@code cs} leads and its {@code onStartedLeading} has run (callbacks
   * run on their own executor, a little after {@code isLeader()} turns true).
   */
  private static Candidate awaitSingleLeader(List<Candidate> cs, Duration within) {
    eventually(
        within,
        () -> {
          List<Candidate> leaders = cs.stream().filter(c -> c.elector.isLeader()).toList();
          if (leaders.size() != 1) {
            return false;
          }
          Candidate l = leaders.get(0);
          Optional<Leadership> now = l.elector.currentLeadership();
          return now.isPresent() && l.terms.stream().anyMatch(t -> t.leadership == now.get());
        });
    return cs.stream().filter(c -> c.elector.isLeader()).findFirst().orElseThrow();
  }

  /** Waits until every candidate has observed {@code leader} as the holder. */
  private static void awaitAllObserve(List<Candidate> cs, Candidate leader) {
    eventually(
        Duration.ofSeconds(10),
        () -> cs.stream().allMatch(c -> c.elector.currentLeader().equals(Optional.of(leader.id))));
  }

  private static void eventually(Duration within, BooleanSupplier condition) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within %s", within).isLessThan(deadline);
      sleep(10);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private LeaseRecord lease() {
    return await(KubernetesLeaseLock.builder(admin).name(name).namespace(ns).build().get(T))
        .orElseThrow();
  }

  /**
   * client-go#448: a fresh candidate need not wait a leaseDuration for a Lease that the API
   * server's own clock shows unwritten for twice its duration. The holder's renewTime (an hour old
   * here) is never compared with this process's clock; only the server's {@code Date} against the
   * server's {@code managedFields} time.
   */
  @Test
  void aLeaseTheApiServerShowsAbandonedIsTakenWithoutWaitingALeaseDuration() {
    KubernetesLeaseLock adminLock =
        KubernetesLeaseLock.builder(admin).name(name).namespace(ns).build();
    Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
    String hourAgoVersion =
        await(
                adminLock.create(
                    new LeaseRecord("crashed", 3, hourAgo, hourAgo, 7, null, null, null), T))
            .version();
    eventually(
        Duration.ofSeconds(15),
        () -> {
          Duration ago = lease().writtenAgo();
          return ago != null && ago.compareTo(Duration.ofSeconds(6)) >= 0;
        });
    long t0 = System.nanoTime();
    Candidate c = start(1, FAST).get(0);
    eventually(Duration.ofSeconds(10), () -> c.elector.isLeader());
    long took = c.elector.currentLeadership().orElseThrow().validFromNanos() - t0;
    System.err.printf("[election] abandoned Lease taken %.0f ms after start%n", ms(took));
    assertThat(Duration.ofNanos(took))
        .as("without the server-clock check it waits the record's 3 s from its first read")
        .isLessThan(Duration.ofMillis(2500));
    assertThat(lease().leaseTransitions()).isEqualTo(8);
    // The fencing token is the resourceVersion of the write that began the term.
    assertThat(c.elector.currentLeadership().orElseThrow().fencingToken())
        .isGreaterThan(Long.parseLong(java.util.Objects.requireNonNull(hourAgoVersion)));
  }

  @Test
  void threeElectorsElectExactlyOneLeader() {
    List<Candidate> cs = start(3, FAST);
    Candidate leader = awaitSingleLeader(cs, Duration.ofSeconds(15));
    // For a few renewal periods, at every instant exactly one leads, always the same one.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (System.nanoTime() < until) {
      assertThat(cs.stream().filter(c -> c.elector.isLeader()).toList()).containsExactly(leader);
      sleep(5);
    }
    awaitAllObserve(cs, leader);
    assertThat(lease().holderIdentity()).isEqualTo(leader.id);
    assertThat(leader.renewals.get()).isGreaterThanOrEqualTo(2);
    assertThat(leader.starts.get()).isEqualTo(1);
  }

  /** Close with release: the next candidate takes over in milliseconds, not leaseDuration. */
  @Test
  void gracefulHandOverIsFastAndTokensGrow() {
    List<Candidate> cs = start(3, FAST);
    Candidate first = awaitSingleLeader(cs, Duration.ofSeconds(15));
    long token1 = first.lastTerm().leadership.fencingToken();
    long t0 = System.nanoTime();
    first.elector.close();
    List<Candidate> rest = cs.stream().filter(c -> c != first).toList();
    Candidate second = awaitSingleLeader(rest, Duration.ofSeconds(10));
    long handOver = second.lastTerm().startedCallbackNanos - t0;
    System.err.printf("[election] hand-over after close(): %.0f ms%n", ms(handOver));
    assertThat(Duration.ofNanos(handOver)).isLessThan(Duration.ofMillis(1500));
    assertThat(first.lastTerm().leadership.endReason()).contains(EndReason.CLOSED);
    assertThat(second.lastTerm().leadership.fencingToken()).isGreaterThan(token1);
    assertThat(lease().holderIdentity()).isEqualTo(second.id);
  }

  /** Stopped without release (as if killed): replaced once the record's leaseDuration passed. */
  @Test
  void aLeaderGoneWithoutReleaseIsReplacedAfterLeaseDuration() {
    LeaderElectionConfig noRelease = FAST.toBuilder().releaseOnClose(false).build();
    List<Candidate> cs = start(2, noRelease);
    Candidate first = awaitSingleLeader(cs, Duration.ofSeconds(15));
    long lastRenewalStart =
        first.lastTerm().leadership.validUntilNanos() - FAST.renewDeadline().toNanos();
    first.elector.close();
    Candidate second = cs.get(0) == first ? cs.get(1) : cs.get(0);
    // terms are recorded by onStartedLeading, which runs on the callback thread after isLeader()
    // turns true
    eventually(Duration.ofSeconds(15), () -> second.elector.isLeader() && !second.terms.isEmpty());
    long took = second.lastTerm().leadership.validFromNanos() - lastRenewalStart;
    System.err.printf("[election] takeover %.0f ms after the last renewal%n", ms(took));
    assertThat(took).isGreaterThanOrEqualTo(FAST.leaseDuration().toNanos() - 50_000_000L);
    assertThat(took)
        .isLessThan(FAST.leaseDuration().plus(FAST.retryPeriod().multipliedBy(3)).toNanos());
  }

  /**
   * The leader's connection is cut (packets dropped): it stops leading within renewDeadline of the
   * start of its last successful renewal, and before anyone else takes over.
   */
  @Test
  void aPartitionedLeaderStepsDownBeforeAnyoneTakesOver() {
    List<Candidate> cs = start(3, FAST);
    Candidate leader = awaitSingleLeader(cs, Duration.ofSeconds(15));
    awaitAllObserve(cs, leader);
    eventually(Duration.ofSeconds(5), () -> leader.renewals.get() >= 1);
    Term term = leader.lastTerm();
    long cutAt = System.nanoTime();
    leader.relay.cut(TcpRelay.CutMode.FREEZE);

    // Ask the leader at high frequency until it says no. Safety: no "yes" after the deadline
    // (each "yes" was computed after lastTrueAt was taken, so lastTrueAt < deadline must hold).
    long lastTrueAt = cutAt;
    long falseAt = 0;
    while (falseAt == 0) {
      long before = System.nanoTime();
      if (leader.elector.isLeader()) {
        lastTrueAt = before;
      } else {
        falseAt = System.nanoTime();
      }
      assertThat(before - cutAt).isLessThan(TimeUnit.SECONDS.toNanos(10));
    }
    long validUntil = term.leadership.validUntilNanos();
    long lastRenewalStart = validUntil - FAST.renewDeadline().toNanos();
    assertThat(lastRenewalStart).isLessThanOrEqualTo(cutAt);
    assertThat(lastTrueAt).as("isLeader() said yes after the deadline").isLessThan(validUntil);
    assertThat(validUntil - lastRenewalStart).isEqualTo(FAST.renewDeadline().toNanos());
    eventually(Duration.ofSeconds(5), () -> term.leadership.endReason().isPresent());
    assertThat(term.leadership.endReason()).contains(EndReason.RENEW_DEADLINE_EXCEEDED);
    eventually(Duration.ofSeconds(5), () -> term.stoppedCallbackNanos != 0);
    assertThat(term.stoppedCallbackNanos - validUntil)
        .as("onStoppedLeading soon after the deadline")
        .isLessThan(500_000_000L);

    List<Candidate> others = cs.stream().filter(c -> c != leader).toList();
    Candidate next = awaitSingleLeader(others, Duration.ofSeconds(15));
    long margin = next.lastTerm().leadership.validFromNanos() - validUntil;
    System.err.printf(
        "[election] partitioned leader: deadline %.0f ms after the cut, isLeader() seen false %.1f"
            + " ms after it, onStoppedLeading %.1f ms after it, next leader %.0f ms after it%n",
        ms(validUntil - cutAt),
        ms(falseAt - validUntil),
        ms(term.stoppedCallbackNanos - validUntil),
        ms(margin));
    assertThat(margin).isPositive();

    // Back on the network, the old leader follows the new one.
    leader.relay.restore();
    eventually(
        Duration.ofSeconds(15), () -> leader.elector.currentLeader().equals(Optional.of(next.id)));
    assertThat(leader.elector.isLeader()).isFalse();
    assertThat(cs.stream().filter(c -> c.elector.isLeader()).toList()).containsExactly(next);
  }

  /** An API server restart shorter than renewDeadline: the term simply goes on. */
  @Test
  void theTermSurvivesAnApiServerRestart(LocalControlPlane cp) {
    LeaderElectionConfig patient =
        LeaderElectionConfig.builder()
            .leaseDuration(Duration.ofSeconds(20))
            .renewDeadline(Duration.ofSeconds(15))
            .retryPeriod(Duration.ofSeconds(1))
            .build();
    List<Candidate> cs = start(2, patient);
    Candidate leader = awaitSingleLeader(cs, Duration.ofSeconds(30));
    Term term = leader.lastTerm();
    long t0 = System.nanoTime();
    cp.restartApiServer();
    System.err.printf(
        "[election] API server restarted in %.1f s (startup %.1f s)%n",
        ms(System.nanoTime() - t0) / 1000, cp.lastApiServerStartup().toMillis() / 1000.0);
    int renewalsBefore = leader.renewals.get();
    eventually(Duration.ofSeconds(10), () -> leader.renewals.get() > renewalsBefore + 1);
    assertThat(term.leadership.isValid()).isTrue();
    assertThat(leader.lastTerm()).isSameAs(term);
    assertThat(cs.stream().filter(c -> c.elector.isLeader()).toList()).containsExactly(leader);
  }

  /**
   * Someone deletes the Lease under the leader. The others do not take the deletion as a release
   * (the holder they saw may still be live); the leader re-creates the Lease at its next renewal
   * and its term goes on with the same fencing token.
   */
  @Test
  void theLeaseDeletedUnderTheLeader() {
    List<Candidate> cs = start(3, FAST);
    Candidate leader = awaitSingleLeader(cs, Duration.ofSeconds(15));
    // (A candidate that has never seen a holder takes an absent Lease as free, as in client-go.)
    awaitAllObserve(cs, leader);
    Term term = leader.lastTerm();
    int transitionsBefore = It.transitions(lease());
    long t0 = System.nanoTime();
    It.deleteRaw(admin, ns, name);
    KubernetesLeaseLock adminLock =
        KubernetesLeaseLock.builder(admin).name(name).namespace(ns).build();
    eventually(Duration.ofSeconds(5), () -> await(adminLock.get(T)).isPresent());
    System.err.printf(
        "[election] deleted Lease re-created %.0f ms later%n", ms(System.nanoTime() - t0));
    LeaseRecord recreated = lease();
    assertThat(recreated.holderIdentity()).isEqualTo(leader.id);
    assertThat(It.transitions(recreated)).isEqualTo(transitionsBefore);
    assertThat(Long.parseLong(java.util.Objects.requireNonNull(recreated.version())))
        .as("the re-created Lease's version is above the token, so later terms' tokens are too")
        .isGreaterThan(term.leadership.fencingToken());
    assertThat(term.leadership.isValid()).isTrue();
    assertThat(leader.lastTerm()).isSameAs(term);
    sleep(FAST.leaseDuration().toMillis());
    assertThat(cs.stream().filter(c -> c.elector.isLeader()).toList()).containsExactly(leader);
  }

  /**
   * Another writer, which does not follow the rules, puts itself in the Lease: the leader notices
   * at its next renewal, and nobody takes over until the intruder's own leaseDuration passed.
   */
  @Test
  void anotherWriterTakesTheLease() {
    List<Candidate> cs = start(3, FAST);
    Candidate leader = awaitSingleLeader(cs, Duration.ofSeconds(15));
    awaitAllObserve(cs, leader);
    Term term = leader.lastTerm();
    LeaseRecord current = lease();
    Instant now = Instant.now();
    LeaseRecord intruder =
        new LeaseRecord(
            "intruder", 3, now, now, It.transitions(current) + 1, null, null, current.version());
    KubernetesLeaseLock adminLock =
        KubernetesLeaseLock.builder(admin).name(name).namespace(ns).build();
    long written = System.nanoTime();
    await(adminLock.update(intruder, T));
    eventually(Duration.ofSeconds(5), () -> term.leadership.endReason().isPresent());
    long noticed = System.nanoTime() - written;
    assertThat(term.leadership.endReason()).contains(EndReason.LOST);
    assertThat(Duration.ofNanos(noticed))
        .isLessThan(FAST.retryPeriod().plus(Duration.ofMillis(700)));
    eventually(
        Duration.ofSeconds(5),
        () -> cs.stream().allMatch(c -> c.elector.currentLeader().equals(Optional.of("intruder"))));

    Candidate next = awaitSingleLeader(cs, Duration.ofSeconds(15));
    long after = next.lastTerm().leadership.validFromNanos() - written;
    System.err.printf(
        "[election] intruder noticed by the leader after %.0f ms; taken back after %.0f ms%n",
        ms(noticed), ms(after));
    assertThat(after).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(3));
    assertThat(next.lastTerm().leadership.fencingToken()).isGreaterThan(It.transitions(intruder));
  }
}
