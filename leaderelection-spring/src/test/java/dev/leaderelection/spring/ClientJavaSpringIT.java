package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter with client-java only (fabric8 hidden from the applications' class loader), against a
 * real kube-apiserver: two applications, each with its own {@code ApiClient} bean as the
 * ServiceAccount {@code app}, elect one leader and hand over on close; without rights, the RBAC
 * self-check through the client-java lock stops the start-up naming the verbs. The test itself
 * reads the Lease with fabric8's admin client.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ClientJavaSpringIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  final LeaderElectionSpringIT.Contexts contexts = new LeaderElectionSpringIT.Contexts();

  private ConfigurableApplicationContext app(
      TestCluster cluster, String ns, String sa, String... more) {
    List<String> props =
        new ArrayList<>(
            List.of(
                "spring.application.name=orders",
                "leaderelection.lease-duration=4s",
                "leaderelection.renew-deadline=3s",
                "leaderelection.retry-period=1s",
                "leaderelection.namespace=" + ns));
    props.addAll(List.of(more));
    return contexts.add(
        SpringApps.startClientJavaOnly(
            SpringApps.serviceAccountApiClient(cluster, ns, sa), props.toArray(new String[0])));
  }

  @Test
  void twoApplicationsOnClientJavaOnlyElectOneLeaderShowItInHealthAndHandOverOnClose(
      TestCluster cluster) {
    String ns = LeaderElectionSpringIT.grantAll(cluster);
    ConfigurableApplicationContext a = app(cluster, ns, "app");
    ConfigurableApplicationContext b = app(cluster, ns, "app");
    for (ConfigurableApplicationContext c : List.of(a, b)) {
      assertThat(c.getBeanNamesForType(io.fabric8.kubernetes.client.KubernetesClient.class))
          .isEmpty();
      assertThat(c.getBean(LeaseLockFactory.class)).isInstanceOf(ClientJavaLeaseLockFactory.class);
      assertThat(((ManagedLeaderElection) c.getBean(LeaderElection.class)).lock())
          .isInstanceOf(ClientJavaLeaseLock.class);
    }
    LeaderElection ea = a.getBean(LeaderElection.class);
    LeaderElection eb = b.getBean(LeaderElection.class);
    await().atMost(WAIT).until(() -> ea.isLeader() || eb.isLeader());
    ConfigurableApplicationContext leaderCtx = ea.isLeader() ? a : b;
    LeaderElection leader = leaderCtx.getBean(LeaderElection.class);
    LeaderElection follower = (leaderCtx == a ? b : a).getBean(LeaderElection.class);
    assertThat(follower.isLeader()).isFalse();
    await()
        .atMost(WAIT)
        .until(() -> follower.currentLeader().orElse(""), leader.identity()::equals);
    Lease lease = cluster.adminClient().leases().inNamespace(ns).withName("orders").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.identity());
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(4);

    HealthIndicator health =
        leaderCtx.getBean("leaderElectionHealthIndicator", HealthIndicator.class);
    var h = Objects.requireNonNull(health.health());
    assertThat(h.getStatus()).isEqualTo(Status.UP);
    assertThat(String.valueOf(h.getDetails().get("default")))
        .contains("role=leader")
        .contains("lease=" + ns + "/orders");

    leaderCtx.close();
    long closed = System.nanoTime();
    await().atMost(WAIT).until(follower::isLeader);
    // The follower watches the Lease through client-java: it takes the released Lease at once.
    assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofSeconds(2));
    assertThat(cluster.adminClient().leases().inNamespace(ns).withName("orders").get())
        .extracting(l -> l.getSpec().getHolderIdentity())
        .isEqualTo(follower.identity());
  }

  @Test
  void withoutPermissionsTheRbacSelfCheckThroughClientJavaFailsNamingTheVerbsAndTheRule(
      TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("spring-cj-rbac");
    assertThatThrownBy(() -> app(cluster, ns, "nobody"))
        .hasStackTraceContaining(
            "Leader election 'default' cannot work: user 'system:serviceaccount:"
                + ns
                + ":nobody' may not get, create, update, list, watch leases (coordination.k8s.io)"
                + " in namespace '"
                + ns
                + "' (Lease 'orders').")
        .hasStackTraceContaining(LeaseRbac.rulesYaml("orders"))
        .hasStackTraceContaining("--serviceaccount=" + ns + ":nobody")
        .hasStackTraceContaining("leaderelection.rbac-check=warn");
  }

  @Test
  void withoutListAndWatchTheClientJavaElectionOnlyWarnsAndElectsByPolling(TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("spring-cj-rbac");
    SpringApps.grant(cluster, ns, "poller", "get", "create", "update");
    LeaderElectionSpringIT.awaitAllowed(cluster, ns, "poller", "update");
    ConfigurableApplicationContext c = app(cluster, ns, "poller");
    await().atMost(WAIT).until(() -> c.getBean(LeaderElection.class).isLeader());
  }
}
