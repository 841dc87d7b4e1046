package dev.leaderelection.examples.springworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leaderelection.core.Leadership;
import dev.leaderelection.spring.LeaderElection;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Spring Boot worker against the real API server, with a token of the ServiceAccount of {@code
 * k8s/rbac.yaml}: it leads, runs the {@code @LeaderOnly} job (fenced ConfigMap writes), reports
 * through the actuator, hands over on shutdown; without the Role it does not start.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class SpringBootWorkerIT {
  private final HttpClient http = HttpClient.newHttpClient();

  static void applyRbac(KubernetesClient admin, String ns) throws IOException {
    for (HasMetadata o : ManifestsTest.load("rbac.yaml")) {
      o.getMetadata().setNamespace(ns);
      if (o instanceof RoleBinding rb) {
        for (Subject s : rb.getSubjects()) {
          s.setNamespace(ns);
        }
      }
      admin.resource(o).fieldManager("spring-it").serverSideApply();
    }
  }

  static ConfigurableApplicationContext start(KubernetesClient client, String ns, String identity) {
    return new SpringApplicationBuilder(SpringBootWorker.class)
        .properties(
            "leaderelection.namespace=" + ns,
            "leaderelection.identity=" + identity,
            "worker.interval=200ms",
            "spring.lifecycle.timeout-per-shutdown-phase=10s")
        // The ServiceAccount's client instead of the auto-configured one.
        .initializers(ctx -> ctx.getBeanFactory().registerSingleton("kubernetesClient", client))
        // Free ports, over application.yaml's (default properties would not override it).
        .run("--server.port=0", "--management.server.port=0");
  }

  @Test
  void leadsRunsTheLeaderOnlyJobReportsHealthAndMetricsAndHandsOverOnShutdown(TestCluster cluster)
      throws Exception {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("spring-worker");
    applyRbac(admin, ns);
    try (KubernetesClient c1 = cluster.serviceAccountClient(ns, "spring-boot-worker");
        KubernetesClient c2 = cluster.serviceAccountClient(ns, "spring-boot-worker")) {
      ConfigurableApplicationContext app1 = start(c1, ns, "app-1");
      ConfigurableApplicationContext app2 = null;
      try {
        LeaderElection e1 = app1.getBean(LeaderElection.class);
        Optional<Leadership> term = e1.awaitLeadership(Duration.ofSeconds(20));
        assertThat(term).isPresent();
        long token = term.get().fencingToken();
        ConfigMap out = await(() -> written(admin, ns, token), Duration.ofSeconds(10));
        assertThat(out.getData()).containsEntry("writer", "app-1");

        String health = get(app1, MANAGEMENT, "/actuator/health");
        assertThat(health).contains("\"leaderElection\"").contains("\"role\":\"leader\"");
        // The application port tells nothing about the election: no actuator there, and the probes'
        // extra paths show no details.
        assertThat(status(app1, APPLICATION, "/actuator/health")).isEqualTo(404);
        assertThat(status(app1, APPLICATION, "/actuator/prometheus")).isEqualTo(404);
        for (String probe : java.util.List.of("/livez", "/readyz")) {
          assertThat(status(app1, APPLICATION, probe)).as(probe).isEqualTo(200);
          assertThat(get(app1, APPLICATION, probe))
              .as(probe)
              .contains("\"UP\"")
              .doesNotContain("app-1")
              .doesNotContain("leaderElection")
              .doesNotContain(ns);
        }
        String prometheus = get(app1, MANAGEMENT, "/actuator/prometheus");
        assertThat(prometheus.lines().filter(l -> l.startsWith("leaderelection_leader{")))
            .singleElement()
            .satisfies(l -> assertThat(l).endsWith(" 1.0"));

        app2 = start(c2, ns, "app-2");
        LeaderElection e2 = app2.getBean(LeaderElection.class);
        await(() -> e2.currentLeader().filter("app-1"::equals), seconds(20));
        assertThat(e2.isLeader()).isFalse();
        assertThat(get(app2, APPLICATION, "/readyz")).contains("\"UP\"");
        assertThat(get(app2, MANAGEMENT, "/actuator/health")).contains("\"role\":\"follower\"");

        long closing = System.nanoTime();
        app1.close(); // SIGTERM in a pod: the job stops, the Lease is released
        Optional<Leadership> next = e2.awaitLeadership(seconds(10));
        assertThat(next).isPresent();
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(seconds(5));
        assertThat(next.get().fencingToken()).isGreaterThan(token);
        ConfigMap after =
            await(() -> written(admin, ns, next.get().fencingToken()), Duration.ofSeconds(10));
        assertThat(after.getData()).containsEntry("writer", "app-2");
      } finally {
        app1.close();
        if (app2 != null) {
          app2.close();
        }
      }
    }
  }

  @Test
  void withoutTheRoleTheStartUpFailsWithTheRuleToAdd(TestCluster cluster) throws Exception {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("spring-worker-norole");
    applyRbac(admin, ns); // the Role exists, but "no-role" is not bound to it
    try (KubernetesClient c = cluster.serviceAccountClient(ns, "no-role")) {
      assertThatThrownBy(() -> start(c, ns, "app"))
          .hasStackTraceContaining(
              "user 'system:serviceaccount:" + ns + ":no-role' may not get, create, update")
          .hasStackTraceContaining("leases (coordination.k8s.io) in namespace '" + ns + "'");
    }
  }

  private static Optional<ConfigMap> written(KubernetesClient admin, String ns, long token) {
    ConfigMap cm = admin.configMaps().inNamespace(ns).withName("worker-output").get();
    if (cm == null || cm.getMetadata().getAnnotations() == null) {
      return Optional.empty();
    }
    String stored = cm.getMetadata().getAnnotations().get(FencedReportJob.TOKEN_ANNOTATION);
    return Long.toString(token).equals(stored) ? Optional.of(cm) : Optional.empty();
  }

  /** The application's port ({@code server.port}). */
  private static final String APPLICATION = "local.server.port";

  /** The actuator's port ({@code management.server.port}). */
  private static final String MANAGEMENT = "local.management.port";

  private String get(ConfigurableApplicationContext app, String port, String path)
      throws Exception {
    return send(app, port, path).body();
  }

  private int status(ConfigurableApplicationContext app, String port, String path)
      throws Exception {
    return send(app, port, path).statusCode();
  }

  private HttpResponse<String> send(ConfigurableApplicationContext app, String port, String path)
      throws Exception {
    String p = app.getEnvironment().getProperty(port);
    assertThat(p).as("%s of the application", port).isNotNull();
    assertThat(p)
        .as("the management port is not the application's")
        .isNotEqualTo(
            app.getEnvironment().getProperty(APPLICATION.equals(port) ? MANAGEMENT : APPLICATION));
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static <T> T await(Supplier<Optional<T>> probe, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<T> v = probe.get();
      if (v.isPresent()) {
        return v.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("not within " + timeout);
  }

  private static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
