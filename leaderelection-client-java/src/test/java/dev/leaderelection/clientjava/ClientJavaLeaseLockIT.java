package dev.leaderelection.clientjava;

import static dev.leaderelection.clientjava.ClientJavaIt.T;
import static dev.leaderelection.clientjava.ClientJavaIt.await;
import static dev.leaderelection.clientjava.ClientJavaIt.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.kubernetes.LeaseAccess;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.kubernetes.client.openapi.ApiClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The client-java backend against a real kube-apiserver. */
@ExtendWith(LocalControlPlaneExtension.class)
class ClientJavaLeaseLockIT {
  private static final LeaderElectionConfig FAST =
      LeaderElectionConfig.builder()
          .leaseDuration(Duration.ofSeconds(4))
          .renewDeadline(Duration.ofSeconds(3))
          .retryPeriod(Duration.ofSeconds(1))
          .build();

  private final TestCluster cluster;
  private final ApiClient admin;

  ClientJavaLeaseLockIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = ClientJavaIt.admin(cluster);
  }

  private ClientJavaLeaseLock lock(String ns, String name, String id) {
    return ClientJavaLeaseLock.builder(admin).namespace(ns).name(name).identity(id).build();
  }

  private static LeaseRecord held(String id, Instant at) {
    return new LeaseRecord(id, 15, at, at, 0, null, null, null);
  }

  @Test
  void createsReadsAndUpdatesWithCompareAndSwap() {
    String ns = cluster.createUniqueNamespace("cj");
    ClientJavaLeaseLock a = lock(ns, "cas", "a");
    assertThat(await(a.get(T))).isEmpty();
    Instant t = Instant.parse("2026-12-02T10:00:00.123456Z");
    LeaseRecord created = await(a.create(held("a", t), T));
    assertThat(created.version()).isNotBlank();
    assertThat(failure(a.create(held("a", t), T)).reason()).isEqualTo(Reason.CONFLICT);

    LeaseRecord read = await(a.get(T)).orElseThrow();
    assertThat(read.writtenAgo()).as("age from the API server's clock").isNotNull();
    assertThat(read.withWrittenAgo(null)).isEqualTo(created);

    LeaseRecord renewed =
        await(
            a.update(
                new LeaseRecord("a", 15, t, t.plusSeconds(2), 0, null, null, read.version()), T));
    assertThat(Long.parseLong(renewed.version())).isGreaterThan(Long.parseLong(read.version()));
    assertThat(renewed.renewTime()).isEqualTo(t.plusSeconds(2));

    LeaseLockException stale = failure(a.update(read, T));
    assertThat(stale.reason()).isEqualTo(Reason.CONFLICT);
    assertThat(stale.getMessage()).contains("update of Lease " + ns + "/cas lost a race");
  }

  @Test
  void anUpdateOfALeaseDeletedAndCreatedAgainSinceItWasReadFails() throws Exception {
    String ns = cluster.createUniqueNamespace("cj");
    ClientJavaLeaseLock a = lock(ns, "gone", "a");
    LeaseRecord first = await(a.create(held("a", Instant.now()), T));
    cluster.adminClient().leases().inNamespace(ns).withName("gone").delete();
    ClientJavaIt.waitFor(
        "the delete",
        Duration.ofSeconds(10),
        () -> cluster.adminClient().leases().inNamespace(ns).withName("gone").get() == null);
    LeaseRecord second = await(lock(ns, "gone", "b").create(held("b", Instant.now()), T));

    LeaseLockException e = failure(a.update(first, T));
    assertThat(e.reason()).isIn(Reason.NOT_FOUND, Reason.CONFLICT);
    assertThat(await(a.get(T)).orElseThrow().holderIdentity()).isEqualTo("b");
    assertThat(Long.parseLong(second.version())).isGreaterThan(Long.parseLong(first.version()));
  }

  @Test
  void anUpdateKeepsTheLabelsAndAnnotationsOfTheLease() {
    String ns = cluster.createUniqueNamespace("cj");
    ClientJavaLeaseLock a = lock(ns, "meta", "a");
    await(a.create(held("a", Instant.now()), T));
    cluster
        .adminClient()
        .leases()
        .inNamespace(ns)
        .withName("meta")
        .edit(
            l -> {
              l.getMetadata().setLabels(Map.of("team", "orders"));
              l.getMetadata().setAnnotations(Map.of("note", "kept"));
              return l;
            });
    LeaseRecord read = await(a.get(T)).orElseThrow();
    await(
        a.update(
            new LeaseRecord(
                "a", 15, read.acquireTime(), Instant.now(), 0, null, null, read.version()),
            T));
    Lease after = cluster.adminClient().leases().inNamespace(ns).withName("meta").get();
    assertThat(after.getMetadata().getLabels()).containsEntry("team", "orders");
    assertThat(after.getMetadata().getAnnotations()).containsEntry("note", "kept");
  }

  @Test
  void writesTheSameSpecAsTheFabric8BackendForTheSameRecord() {
    String ns = cluster.createUniqueNamespace("cj");
    Instant t = Instant.parse("2026-12-02T10:00:00.123456789Z");
    LeaseRecord r =
        new LeaseRecord("x", 7, t, t.plusMillis(1500), 3, "OldestEmulationVersion", "y", null);
    await(lock(ns, "by-client-java", "x").create(r, T));
    await(
        KubernetesLeaseLock.builder(cluster.adminClient())
            .namespace(ns)
            .name("by-fabric8")
            .identity("x")
            .build()
            .create(r, T));
    var leases = cluster.adminClient().leases().inNamespace(ns);
    String ours =
        cluster
            .adminClient()
            .getKubernetesSerialization()
            .asJson(leases.withName("by-client-java").get().getSpec());
    String theirs =
        cluster
            .adminClient()
            .getKubernetesSerialization()
            .asJson(leases.withName("by-fabric8").get().getSpec());
    assertThat(ours).isEqualTo(theirs).contains("\"acquireTime\":\"2026-12-02T10:00:00.123456Z\"");
  }

  @Test
  void twoElectorsHandOverThroughTheWatch() throws Exception {
    String ns = cluster.createUniqueNamespace("cj");
    LeaderElector first = LeaderElector.builder(lock(ns, "app", "first")).config(FAST).build();
    LeaderElector second = LeaderElector.builder(lock(ns, "app", "second")).config(FAST).build();
    try {
      first.start();
      assertThat(first.awaitLeadership(Duration.ofSeconds(20))).isPresent();
      second.start();
      ClientJavaIt.waitFor(
          "second to see first lead",
          Duration.ofSeconds(10),
          () -> second.currentLeader().equals(java.util.Optional.of("first")));
      long closedAt = System.nanoTime();
      first.close();
      assertThat(second.awaitLeadership(Duration.ofSeconds(5))).isPresent();
      Duration handOver = Duration.ofNanos(System.nanoTime() - closedAt);
      assertThat(handOver)
          .as("released and taken through the watch, long before a retryPeriod poll")
          .isLessThan(Duration.ofMillis(900));
    } finally {
      first.close();
      second.close();
    }
  }

  @Test
  void aForbiddenCallNamesTheUserAndTheRulesToAdd() {
    String ns = cluster.createUniqueNamespace("cj");
    ApiClient sa = ClientJavaIt.serviceAccount(cluster, ns, "nobody");
    ClientJavaLeaseLock lock =
        ClientJavaLeaseLock.builder(sa).namespace(ns).name("app").identity("x").build();
    LeaseLockException e = failure(lock.get(T));
    assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
    String user = "system:serviceaccount:" + ns + ":nobody";
    assertThat(e.getMessage())
        .contains("user \"" + user + "\" may not get Lease " + ns + "/app")
        .contains(LeaseRbac.rulesInline("app"))
        .contains(String.join(" && ", LeaseRbac.kubectl(ns, "app", user)));

    LeaseAccess access = await(lock.checkAccess(T));
    assertThat(access.user()).isEqualTo(user);
    assertThat(access.denied()).containsExactly("get", "create", "update", "list", "watch");
    assertThat(await(lock(ns, "app", "admin").checkAccess(T)).denied()).isEmpty();
  }

  @Test
  void aMissingNamespaceIsNamedWithTheSettingToChange() {
    ClientJavaLeaseLock lock = lock("no-such-namespace", "app", "x");
    LeaseLockException e = failure(lock.create(held("x", Instant.now()), T));
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage())
        .contains("namespace \"no-such-namespace\" does not exist")
        .contains("kubectl create namespace no-such-namespace")
        .contains("ClientJavaLeaseLock.builder(apiClient).namespace(...)");
  }

  @Test
  void anUnreachableApiServerIsUnavailable() {
    ApiClient nowhere = ClientJavaIt.apiClient("https://127.0.0.1:1", "token");
    ClientJavaLeaseLock lock =
        ClientJavaLeaseLock.builder(nowhere).namespace("ns").name("app").identity("x").build();
    LeaseLockException e = failure(lock.get(T));
    assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
    assertThat(e.getMessage()).contains("https://127.0.0.1:1");
  }

  @Test
  void theLocksCallsDoNotQueueBehindTheApplicationsOwnLongCalls() throws Exception {
    // OkHttp runs at most five calls per host at once by default; five watches of the application
    // fill that, and a renewal queued behind them would never be sent.
    String ns = cluster.createUniqueNamespace("cj");
    ApiClient app = ClientJavaIt.admin(cluster);
    List<okhttp3.Call> watches = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        okhttp3.Call w =
            app.buildCall(
                null,
                "/api/v1/namespaces/" + ns + "/configmaps",
                "GET",
                List.of(new io.kubernetes.client.openapi.Pair("watch", "true")),
                List.of(),
                null,
                new java.util.HashMap<>(),
                new java.util.HashMap<>(),
                new java.util.HashMap<>(),
                new String[] {"BearerToken"},
                null);
        w.enqueue(
            new okhttp3.Callback() {
              @Override
              public void onFailure(okhttp3.Call c, java.io.IOException e) {}

              @Override
              public void onResponse(okhttp3.Call c, okhttp3.Response r)
                  throws java.io.IOException {
                try (r) {
                  r.body().source().readUtf8Line(); // blocks until cancelled, as a watch does
                }
              }
            });
        watches.add(w);
      }
      ClientJavaIt.waitFor(
          "the application's five watches to run",
          Duration.ofSeconds(10),
          () -> app.getHttpClient().dispatcher().runningCallsCount() == 5);
      ClientJavaLeaseLock lock =
          ClientJavaLeaseLock.builder(app).namespace(ns).name("app").identity("x").build();
      assertThat(await(lock.create(held("x", Instant.now()), T)).version()).isNotBlank();
      assertThat(app.getHttpClient().dispatcher().queuedCallsCount()).isZero();
    } finally {
      watches.forEach(okhttp3.Call::cancel);
    }
  }
}
