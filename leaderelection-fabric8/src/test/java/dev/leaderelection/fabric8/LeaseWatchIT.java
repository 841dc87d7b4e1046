package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.T;
import static dev.leaderelection.fabric8.It.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/** The watch on a single Lease against the real API server. */
@ExtendWith(LocalControlPlaneExtension.class)
@SuppressWarnings("try") // watches are closed by try-with-resources without being referenced
class LeaseWatchIT {
  private final TestCluster cluster;
  private final KubernetesClient admin;
  private String ns = "";
  private String name = "";

  LeaseWatchIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = cluster.adminClient();
  }

  @BeforeEach
  void namespace(TestInfo info) {
    ns = cluster.createUniqueNamespace("watch");
    name = info.getTestMethod().orElseThrow().getName().toLowerCase(java.util.Locale.ROOT);
  }

  private KubernetesLeaseLock lock(KubernetesClient c, String identity) {
    return KubernetesLeaseLock.builder(c).name(name).namespace(ns).identity(identity).build();
  }

  /** What the listener was told, in order; {@code Optional.empty()} for a deletion. */
  private static final class Events implements LeaseLock.ChangeListener {
    final LinkedBlockingQueue<Optional<LeaseRecord>> queue = new LinkedBlockingQueue<>();

    @Override
    public void leaseChanged(@Nullable LeaseRecord current) {
      queue.add(Optional.ofNullable(current));
    }

    Optional<LeaseRecord> next(Duration within) throws InterruptedException {
      Optional<LeaseRecord> e = queue.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(e).as("no watch event within %s", within).isNotNull();
      return Objects.requireNonNull(e);
    }

    /** Skips events until one satisfies {@code holder}; fails after {@code within}. */
    LeaseRecord nextHeldBy(String holder, Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("no event with holder %s within %s", holder, within).isPositive();
        Optional<LeaseRecord> e = queue.poll(left, TimeUnit.NANOSECONDS);
        if (e != null && e.isPresent() && holder.equals(e.get().holderIdentity())) {
          return e.get();
        }
      }
    }
  }

  private static LeaseRecord held(String holder, @Nullable String version) {
    Instant now = Instant.now();
    return new LeaseRecord(holder, 15, now, now, 0, null, null, version);
  }

  @Test
  void changesAndDeletionArePushedWithinMilliseconds() throws Exception {
    KubernetesLeaseLock writer = lock(admin, "writer");
    LeaseRecord r = await(writer.create(held("writer", null), T));
    Events events = new Events();
    try (LeaseLock.Watch w =
        Objects.requireNonNull(lock(admin, "watcher").watch(events, Scheduler.shared()))) {
      // The initial list reports the current record.
      assertThat(events.next(T)).contains(r);
      long t0 = System.nanoTime();
      LeaseRecord released =
          await(
              writer.update(
                  new LeaseRecord("", 1, Instant.now(), Instant.now(), 0, null, null, r.version()),
                  T));
      assertThat(events.next(T)).contains(released);
      Duration latency = Duration.ofNanos(System.nanoTime() - t0);
      System.err.println(
          "[watch] release pushed " + latency.toMillis() + " ms after the write began");
      assertThat(latency).isLessThan(Duration.ofMillis(500));

      It.deleteRaw(admin, ns, name);
      assertThat(events.next(T)).isEmpty();

      LeaseRecord again = await(writer.create(held("writer", null), T));
      assertThat(events.next(T)).contains(again);
    }
  }

  @Test
  void aLeaseCreatedAfterTheWatchStartedIsPushed() throws Exception {
    Events events = new Events();
    try (LeaseLock.Watch w =
        Objects.requireNonNull(lock(admin, "watcher").watch(events, Scheduler.shared()))) {
      Thread.sleep(300); // let the list find nothing (nothing is pushed for an absent Lease)
      assertThat(events.queue).isEmpty();
      LeaseRecord created = await(lock(admin, "writer").create(held("writer", null), T));
      assertThat(events.next(T)).contains(created);
    }
  }

  @Test
  void closedWatchPushesNothingMore() throws Exception {
    KubernetesLeaseLock writer = lock(admin, "writer");
    LeaseRecord r = await(writer.create(held("writer", null), T));
    Events events = new Events();
    LeaseLock.Watch w =
        Objects.requireNonNull(lock(admin, "watcher").watch(events, Scheduler.shared()));
    assertThat(events.next(T)).contains(r);
    w.close();
    w.close(); // idempotent
    await(writer.update(held("writer", r.version()), T));
    Thread.sleep(500);
    assertThat(events.queue).isEmpty();
  }

  @Test
  void watchCanBeSwitchedOff() {
    assertThat(
            KubernetesLeaseLock.builder(admin)
                .name(name)
                .namespace(ns)
                .watch(false)
                .build()
                .watch(current -> {}, Scheduler.shared()))
        .isNull();
  }

  @Test
  void survivesApiServerRestart(LocalControlPlane cp) throws Exception {
    KubernetesLeaseLock writer = lock(admin, "writer");
    LeaseRecord r = await(writer.create(held("writer", null), T));
    Events events = new Events();
    try (LeaseLock.Watch w =
        Objects.requireNonNull(lock(admin, "watcher").watch(events, Scheduler.shared()))) {
      assertThat(events.next(T)).contains(r);
      cp.restartApiServer();
      LeaseRecord current = await(writer.get(T)).orElseThrow();
      await(writer.update(held("after-restart", current.version()), T));
      events.nextHeldBy("after-restart", Duration.ofSeconds(15));
    }
  }

  /** A change made while the watch was cut off is delivered once it reconnects. */
  @Test
  void survivesALostConnectionAndCatchesUp() throws Exception {
    KubernetesLeaseLock writer = lock(admin, "writer");
    LeaseRecord r = await(writer.create(held("writer", null), T));
    Events events = new Events();
    try (TcpRelay relay = TcpRelay.to(cluster.apiServerUrl());
        KubernetesClient c = It.client(It.withUrl(cluster.adminConfig(), relay.url()));
        LeaseLock.Watch w =
            Objects.requireNonNull(lock(c, "watcher").watch(events, Scheduler.shared()))) {
      assertThat(events.next(T)).contains(r);
      relay.cut(TcpRelay.CutMode.RESET);
      LeaseRecord during = await(writer.update(held("during-cut", r.version()), T));
      Thread.sleep(1_000);
      relay.restore();
      assertThat(events.nextHeldBy("during-cut", Duration.ofSeconds(15))).isEqualTo(during);
    }
  }
}
