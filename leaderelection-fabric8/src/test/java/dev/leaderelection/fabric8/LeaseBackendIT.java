package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.T;
import static dev.leaderelection.fabric8.It.await;
import static dev.leaderelection.fabric8.It.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/** The LeaseLock contract against the real API server. */
@ExtendWith(LocalControlPlaneExtension.class)
class LeaseBackendIT {
  private static final Instant T1 = Instant.parse("2026-11-22T02:22:55.123456Z");
  private static final Instant T2 = Instant.parse("2026-11-22T02:23:05.000001Z");

  private final TestCluster cluster;
  private final KubernetesClient admin;
  private String ns = "";
  private String name = "";

  LeaseBackendIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = cluster.adminClient();
  }

  @BeforeEach
  void namespace(TestInfo info) {
    ns = cluster.createUniqueNamespace("backend");
    name = info.getTestMethod().orElseThrow().getName().toLowerCase(java.util.Locale.ROOT);
  }

  private KubernetesLeaseLock lock(KubernetesClient c, String identity) {
    return KubernetesLeaseLock.builder(c).name(name).namespace(ns).identity(identity).build();
  }

  @Test
  void createGetUpdateAndCompareAndSwap() {
    KubernetesLeaseLock a = lock(admin, "a");
    assertThat(It.read(a)).isEmpty();

    LeaseRecord mine = new LeaseRecord("a", 15, T1, T1, 0, null, null, null);
    LeaseRecord created = await(a.create(mine, T));
    assertThat(created.version()).isNotBlank();
    assertThat(created.withVersion(null)).isEqualTo(mine);
    assertThat(It.read(a)).contains(created);

    LeaseRecord renewed = await(a.update(It.renewedAt(created, T2), T));
    assertThat(renewed.renewTime()).isEqualTo(T2);
    assertThat(renewed.version()).isNotEqualTo(created.version());

    // A write based on the old version lost the race: CONFLICT, and the stored record is unchanged.
    LeaseLockException stale = failure(a.update(It.renewedAt(created, T1), T));
    assertThat(stale.reason()).isEqualTo(Reason.CONFLICT);
    assertThat(stale.isConflict()).isTrue();
    assertThat(It.read(a)).contains(renewed);

    LeaseLockException exists = failure(lock(admin, "b").create(mine, T));
    assertThat(exists.reason()).isEqualTo(Reason.CONFLICT);
    assertThat(exists.getMessage()).contains("exists already");
  }

  @Test
  void updateOfADeletedLeaseIsNotFound() {
    KubernetesLeaseLock a = lock(admin, "a");
    LeaseRecord created = await(a.create(new LeaseRecord("a", 15, T1, T1, 0, null, null, null), T));
    It.deleteRaw(admin, ns, name);
    assertThat(It.read(a)).isEmpty();
    LeaseLockException e = failure(a.update(created, T));
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage()).contains("Lease " + ns + "/" + name);
    // and it was not re-created by the update
    assertThat(It.read(a)).isEmpty();
  }

  @Test
  void aMissingNamespaceIsNamed() {
    KubernetesLeaseLock a =
        KubernetesLeaseLock.builder(admin).name(name).namespace("no-such-ns-42").build();
    assertThat(It.read(a)).isEmpty();
    LeaseLockException e = failure(a.create(LeaseRecord.empty(), T));
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage()).contains("namespace \"no-such-ns-42\" does not exist");
  }

  /** A Lease exactly as client-go writes it reads back exactly; our write is in the same format. */
  @Test
  void clientGoFormatsRoundTripExactly() {
    It.createRaw(
        admin,
        ns,
        name,
        "{\"holderIdentity\":\"go-node-1_4f2a\",\"leaseDurationSeconds\":15,"
            + "\"acquireTime\":\"2026-11-22T02:22:55.123456Z\","
            + "\"renewTime\":\"2026-11-22T02:23:05.000001Z\",\"leaseTransitions\":3,"
            + "\"strategy\":\"OldestEmulationVersion\",\"preferredHolder\":\"go-node-2_99aa\"}");
    KubernetesLeaseLock a = lock(admin, "java");
    LeaseRecord read = It.read(a).orElseThrow();
    assertThat(read.withVersion(null))
        .isEqualTo(
            new LeaseRecord(
                "go-node-1_4f2a", 15, T1, T2, 3, "OldestEmulationVersion", "go-node-2_99aa", null));

    Instant now = Instant.parse("2026-11-22T03:00:00.987654321Z");
    LeaseRecord takeover =
        new LeaseRecord(
            "java", 15, now, now, 4, read.strategy(), read.preferredHolder(), read.version());
    await(a.update(takeover, T));
    String json = It.getRaw(admin, ns, name);
    assertThat(json)
        .contains("\"holderIdentity\":\"java\"")
        .contains("\"leaseDurationSeconds\":15")
        .contains("\"acquireTime\":\"2026-11-22T03:00:00.987654Z\"")
        .contains("\"renewTime\":\"2026-11-22T03:00:00.987654Z\"")
        .contains("\"leaseTransitions\":4")
        .contains("\"strategy\":\"OldestEmulationVersion\"")
        .contains("\"preferredHolder\":\"go-node-2_99aa\"")
        // labels of the object the update was based on are kept
        .contains("\"owner\":\"hand\"");
  }

  @Test
  void aHandEditedLeaseWithNullFieldsReadsAsNullsAndCanBeTakenOver() {
    It.createRaw(admin, ns, name, "{\"holderIdentity\":\"someone\"}");
    KubernetesLeaseLock a = lock(admin, "a");
    LeaseRecord read = It.read(a).orElseThrow();
    assertThat(read.withVersion(null))
        .isEqualTo(new LeaseRecord("someone", null, null, null, null, null, null, null));

    // Null fields stay null on write: nothing is invented.
    LeaseRecord same = await(a.update(read, T));
    assertThat(same.withVersion(null)).isEqualTo(read.withVersion(null));
    assertThat(It.getRaw(admin, ns, name))
        .doesNotContain("renewTime")
        .doesNotContain("acquireTime");

    LeaseRecord taken =
        await(a.update(new LeaseRecord("a", 15, T1, T1, 1, null, null, same.version()), T));
    assertThat(taken.holderIdentity()).isEqualTo("a");
  }

  @Test
  void anEmptySpecAndAReleasedLeaseRead() {
    It.createRaw(admin, ns, name, "{}");
    assertThat(It.read(lock(admin, "a")).orElseThrow().withVersion(null))
        .isEqualTo(LeaseRecord.empty());
    It.deleteRaw(admin, ns, name);
    // As client-go's release leaves it, and as fabric8 #6020 users found it.
    It.createRaw(
        admin,
        ns,
        name,
        "{\"holderIdentity\":\"\",\"leaseDurationSeconds\":1,"
            + "\"acquireTime\":\"2026-11-22T02:22:55.123456Z\","
            + "\"renewTime\":\"2026-11-22T02:22:55.123456Z\",\"leaseTransitions\":7}");
    LeaseRecord released = It.read(lock(admin, "a")).orElseThrow();
    assertThat(released.holderIdentity()).isEmpty();
    assertThat(released.isHeld()).isFalse();
    assertThat(released.leaseDurationSeconds()).isEqualTo(1);
    assertThat(released.leaseTransitions()).isEqualTo(7);
  }

  @Test
  void theApiServerRejectsAZeroDurationAsInvalid() {
    LeaseLockException e =
        failure(lock(admin, "a").create(new LeaseRecord("a", 0, T1, T1, 0, null, null, null), T));
    assertThat(e.reason()).isEqualTo(Reason.INVALID);
    assertThat(e.getMessage()).contains("must be greater than 0");
  }

  @Test
  void labelsAndAnnotationsSurviveRenewals() {
    It.createRaw(admin, ns, name, "{\"holderIdentity\":\"a\",\"leaseDurationSeconds\":15}");
    KubernetesLeaseLock a = lock(admin, "a");
    LeaseRecord r = It.read(a).orElseThrow();
    for (int i = 0; i < 3; i++) {
      r = await(a.update(It.renewedAt(r, Instant.now()), T));
    }
    assertThat(It.getRaw(admin, ns, name)).contains("\"owner\":\"hand\"");
  }

  /** A frozen API server: the call fails with TIMEOUT when its time is up, not later. */
  @Test
  void callsEndWithTimeoutWhenTheApiServerHangs(LocalControlPlane cp) {
    KubernetesLeaseLock a = lock(admin, "a");
    await(a.create(new LeaseRecord("a", 15, T1, T1, 0, null, null, null), T));
    cp.pauseApiServer();
    try {
      for (Duration budget : new Duration[] {Duration.ofMillis(300), Duration.ofMillis(1200)}) {
        long t0 = System.nanoTime();
        LeaseLockException e = failure(a.get(budget));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
        assertThat(took).isBetween(budget.minusMillis(20), budget.plusMillis(400));
      }
    } finally {
      cp.resumeApiServer();
    }
    assertThat(It.read(a)).isPresent();
  }

  /** The network drops everything: each call ends at its timeout; after the cut, calls work. */
  @Test
  void callsEndWithTimeoutWhenTheNetworkDropsPackets() {
    await(lock(admin, "x").create(new LeaseRecord("x", 15, T1, T1, 0, null, null, null), T));
    try (TcpRelay relay = TcpRelay.to(cluster.apiServerUrl());
        KubernetesClient c = It.client(It.withUrl(cluster.adminConfig(), relay.url()))) {
      KubernetesLeaseLock a = lock(c, "a");
      LeaseRecord r = It.read(a).orElseThrow();
      relay.cut(TcpRelay.CutMode.FREEZE);
      long t0 = System.nanoTime();
      LeaseLockException e = failure(a.update(r, Duration.ofMillis(500)));
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
      assertThat(took).isBetween(Duration.ofMillis(480), Duration.ofMillis(900));
      Optional<LeaseRecord> unused = Optional.empty();
      assertThat(unused).isEmpty();
      relay.restore();
      assertThat(It.read(a)).isPresent();
    }
  }

  @Test
  void anUnreachableApiServerIsUnavailableAndNamed() {
    try (TcpRelay relay = TcpRelay.to(cluster.apiServerUrl());
        KubernetesClient c = It.client(It.withUrl(cluster.adminConfig(), relay.url()))) {
      relay.cut(TcpRelay.CutMode.RESET);
      LeaseLockException e = failure(lock(c, "a").get(T));
      assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
      assertThat(e.getMessage()).contains(relay.url());
    }
  }

  @Test
  void metadataOnlyChangesKeepTheSpec() {
    KubernetesLeaseLock a = lock(admin, "a");
    LeaseRecord created = await(a.create(new LeaseRecord("a", 15, T1, T1, 0, null, null, null), T));
    admin
        .leases()
        .inNamespace(ns)
        .withName(name)
        .edit(
            l -> {
              l.getMetadata().setAnnotations(Map.of("touched", "yes"));
              return l;
            });
    LeaseRecord after = It.read(a).orElseThrow();
    assertThat(It.spec(after)).isEqualTo(It.spec(created));
    assertThat(after.version()).isNotEqualTo(created.version());
  }
}
