package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.core.Leadership.EndReason;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.integration.leader.event.OnGrantedEvent;

/**
 * Two Spring Boot applications, as two pods of one Deployment, against a real kube-apiserver: each
 * authenticates as the ServiceAccount {@code app}, which a Role allows exactly the verbs the README
 * asks for.
 */
@ExtendWith({LocalControlPlaneExtension.class, OutputCaptureExtension.class})
class LeaderElectionSpringIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String[] FAST = {
    "spring.application.name=orders",
    "leaderelection.lease-duration=4s",
    "leaderelection.renew-deadline=3s",
    "leaderelection.retry-period=1s"
  };

  @RegisterExtension final Contexts contexts = new Contexts();

  /** Closes what a test left open. */
  static final class Contexts implements org.junit.jupiter.api.extension.AfterEachCallback {
    final List<ConfigurableApplicationContext> open = new ArrayList<>();

    ConfigurableApplicationContext add(ConfigurableApplicationContext c) {
      open.add(c);
      return c;
    }

    @Override
    public void afterEach(org.junit.jupiter.api.extension.ExtensionContext context) {
      open.forEach(ConfigurableApplicationContext::close);
      open.clear();
    }
  }

  private ConfigurableApplicationContext app(
      TestCluster cluster, String ns, String sa, String... more) {
    List<String> props = new ArrayList<>(List.of(FAST));
    props.add("leaderelection.namespace=" + ns);
    props.addAll(List.of(more));
    return contexts.add(
        SpringApps.start(cluster.serviceAccountClient(ns, sa), props.toArray(new String[0])));
  }

  static void awaitAllowed(TestCluster cluster, String ns, String sa, String verb) {
    try (KubernetesClient c = cluster.serviceAccountClient(ns, sa)) {
      await()
          .atMost(WAIT)
          .until(
              () ->
                  Boolean.TRUE.equals(
                      c.authorization()
                          .v1()
                          .selfSubjectAccessReview()
                          .create(
                              new SelfSubjectAccessReviewBuilder()
                                  .withNewSpec()
                                  .withNewResourceAttributes()
                                  .withGroup("coordination.k8s.io")
                                  .withResource("leases")
                                  .withVerb(verb)
                                  .withNamespace(ns)
                                  .endResourceAttributes()
                                  .endSpec()
                                  .build())
                          .getStatus()
                          .getAllowed()));
    }
  }

  static String grantAll(TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("spring-it");
    SpringApps.grant(cluster, ns, "app", "get", "create", "update", "list", "watch");
    awaitAllowed(cluster, ns, "app", "watch");
    return ns;
  }

  @Test
  void aNamespaceThatDoesNotExistShowsInTheHealthDetailsNamingTheProperty(TestCluster cluster) {
    String missing = "nowhere-" + Long.toHexString(System.nanoTime());
    List<String> props = new ArrayList<>(List.of(FAST));
    props.add("leaderelection.namespace=" + missing);
    props.add("leaderelection.rbac-check=off");
    props.add("leaderelection.release-on-shutdown=false");
    ConfigurableApplicationContext ctx =
        contexts.add(
            SpringApps.start(
                new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                    .withConfig(cluster.adminConfig())
                    .build(),
                props.toArray(new String[0])));
    org.springframework.boot.health.contributor.HealthIndicator indicator =
        ctx.getBean(
            "leaderElectionHealthIndicator",
            org.springframework.boot.health.contributor.HealthIndicator.class);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              var health = java.util.Objects.requireNonNull(indicator.health());
              assertThat(health.getStatus())
                  .isEqualTo(org.springframework.boot.health.contributor.Status.UP);
              assertThat(String.valueOf(health.getDetails().get("default")))
                  .contains("failingSince=")
                  .contains(
                      "error=create: create of Lease "
                          + missing
                          + "/orders failed: namespace \""
                          + missing
                          + "\" does not exist. Create it (kubectl create namespace "
                          + missing
                          + "), or give the lock an existing namespace"
                          + " (leaderelection.namespace).")
                  .doesNotContain("builder");
            });
  }

  @Test
  void twoApplicationsElectOneLeaderRunTheJobOnItOnlyAndHandOverPromptlyOnClose(
      TestCluster cluster) {
    String ns = grantAll(cluster);
    ConfigurableApplicationContext a = app(cluster, ns, "app");
    ConfigurableApplicationContext b = app(cluster, ns, "app");
    LeaderElection ea = a.getBean(LeaderElection.class);
    LeaderElection eb = b.getBean(LeaderElection.class);

    // Exactly one leader, and both agree on who it is, as does the Lease in the cluster.
    await().atMost(WAIT).until(() -> ea.isLeader() || eb.isLeader());
    ConfigurableApplicationContext leaderCtx = ea.isLeader() ? a : b;
    ConfigurableApplicationContext followerCtx = ea.isLeader() ? b : a;
    LeaderElection leader = leaderCtx.getBean(LeaderElection.class);
    LeaderElection follower = followerCtx.getBean(LeaderElection.class);
    assertThat(follower.isLeader()).isFalse();
    await()
        .atMost(WAIT)
        .until(() -> follower.currentLeader().orElse(""), leader.identity()::equals);
    Lease lease = cluster.adminClient().leases().inNamespace(ns).withName("orders").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.identity());
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(4);

    // Events in order; isLeader() was already true while the grant was handled.
    EventRecorder leaderEvents = leaderCtx.getBean(EventRecorder.class);
    EventRecorder followerEvents = followerCtx.getBean(EventRecorder.class);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(leaderEvents.of("default"))
                    .containsExactly("new-leader:self", "granted"));
    assertThat(
            leaderEvents.all().stream()
                .filter(s -> s.event() instanceof LeaderGrantedEvent)
                .allMatch(EventRecorder.Seen::leaderWhileHandled))
        .isTrue();
    assertThat(followerEvents.of("default")).containsExactly("new-leader:other");
    // Spring Integration's event, with a working Context.
    OnGrantedEvent si = leaderEvents.ofType(OnGrantedEvent.class).get(0);
    assertThat(si.getRole()).isEqualTo("default");
    assertThat(si.getContext().isLeader()).isTrue();

    // The leader-only job runs on the leader only.
    SpringApps.Jobs leaderJobs = LeaderOnlyTest.target(leaderCtx.getBean(SpringApps.Jobs.class));
    SpringApps.Jobs followerJobs =
        LeaderOnlyTest.target(followerCtx.getBean(SpringApps.Jobs.class));
    await().atMost(WAIT).until(() -> leaderJobs.runs.get() >= 5);
    assertThat(followerJobs.runs.get()).isZero();

    // Closing the leader releases the Lease after its work stopped; the follower takes over at
    // once (it watches the Lease), not after the lease duration.
    leaderCtx.close();
    long closed = System.nanoTime();
    assertThat(leaderEvents.of("default")).endsWith("revoked:CLOSED");
    await().atMost(WAIT).until(follower::isLeader);
    Duration handOver = Duration.ofNanos(System.nanoTime() - closed);
    System.out.println("[it] hand-over after close took " + handOver.toMillis() + " ms");
    assertThat(handOver).isLessThan(Duration.ofSeconds(2));
    await().atMost(WAIT).until(() -> followerJobs.runs.get() >= 3);
    assertThat(followerEvents.of("default"))
        .containsSubsequence("new-leader:other", "new-leader:self", "granted");
    assertThat(leaderJobs.runsWhileNotLeader.get()).isZero();
    assertThat(followerJobs.runsWhileNotLeader.get()).isZero();
    assertThat(cluster.adminClient().leases().inNamespace(ns).withName("orders").get())
        .extracting(l -> l.getSpec().getHolderIdentity())
        .isEqualTo(follower.identity());
  }

  @Test
  void yieldingThroughTheSpringIntegrationContextHandsOver(TestCluster cluster) {
    String ns = grantAll(cluster);
    ConfigurableApplicationContext a = app(cluster, ns, "app");
    ConfigurableApplicationContext b = app(cluster, ns, "app");
    await()
        .atMost(WAIT)
        .until(
            () ->
                !a.getBean(EventRecorder.class).ofType(OnGrantedEvent.class).isEmpty()
                    || !b.getBean(EventRecorder.class).ofType(OnGrantedEvent.class).isEmpty());
    ConfigurableApplicationContext leaderCtx =
        a.getBean(EventRecorder.class).ofType(OnGrantedEvent.class).isEmpty() ? b : a;
    ConfigurableApplicationContext other = leaderCtx == a ? b : a;

    leaderCtx.getBean(EventRecorder.class).ofType(OnGrantedEvent.class).get(0).getContext().yield();

    long yielded = System.nanoTime();
    await().atMost(WAIT).until(() -> other.getBean(LeaderElection.class).isLeader());
    assertThat(Duration.ofNanos(System.nanoTime() - yielded)).isLessThan(Duration.ofSeconds(2));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(leaderCtx.getBean(EventRecorder.class).ofType(LeaderRevokedEvent.class))
                    .extracting(LeaderRevokedEvent::reason)
                    .containsExactly(EndReason.YIELDED));
  }

  @Test
  void withoutPermissionsTheStartUpFailsNamingTheVerbsTheUserAndTheRule(TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("spring-rbac");
    KubernetesClient client = cluster.serviceAccountClient(ns, "nobody");
    List<String> props = new ArrayList<>(List.of(FAST));
    props.add("leaderelection.namespace=" + ns);
    assertThatThrownBy(() -> contexts.add(SpringApps.start(client, props.toArray(new String[0]))))
        .hasStackTraceContaining(
            "Leader election 'default' cannot work: user 'system:serviceaccount:"
                + ns
                + ":nobody' may not get, create, update, list, watch leases (coordination.k8s.io)"
                + " in namespace '"
                + ns
                + "' (Lease 'orders').")
        .hasStackTraceContaining(LeaseRbac.rulesYaml("orders"))
        .hasStackTraceContaining("resourceNames: [\"orders\"]")
        .hasStackTraceContaining(
            "kubectl -n "
                + ns
                + " create role leader-election-orders --verb=get,update,list,watch"
                + " --resource=leases.coordination.k8s.io --resource-name=orders")
        .hasStackTraceContaining("--serviceaccount=" + ns + ":nobody")
        .hasStackTraceContaining("leaderelection.rbac-check=warn");
  }

  @Test
  void inWarnModeTheApplicationStartsAndSaysWhatIsMissing(
      TestCluster cluster, CapturedOutput output) {
    String ns = cluster.createUniqueNamespace("spring-rbac");
    ConfigurableApplicationContext c = app(cluster, ns, "nobody", "leaderelection.rbac-check=warn");
    assertThat(c.isRunning()).isTrue();
    assertThat(output).contains("may not get, create, update, list, watch leases");
    assertThat(c.getBean(LeaderElection.class).isLeader()).isFalse();
  }

  @Test
  void withoutListAndWatchItOnlyWarnsAndStillElectsByPolling(
      TestCluster cluster, CapturedOutput output) {
    String ns = cluster.createUniqueNamespace("spring-rbac");
    SpringApps.grant(cluster, ns, "poller", "get", "create", "update");
    awaitAllowed(cluster, ns, "poller", "update");
    ConfigurableApplicationContext c = app(cluster, ns, "poller");
    assertThat(output)
        .contains("can work, but only by polling")
        .contains("may not list, watch leases");
    await().atMost(WAIT).until(() -> c.getBean(LeaderElection.class).isLeader());
  }
}
