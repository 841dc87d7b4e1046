package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * fabric8 8.0 is built on Jackson 3.2; Spring Boot 4.1 manages Jackson 3.1. An application that
 * adds the starter gets Boot's version. This proves that combination works, inside a Boot context
 * whose {@code KubernetesClient} is the one the starter creates (from a kubeconfig), against a real
 * API server: typed Leases (with {@code MicroTime}s) written and read back, the RBAC self-check's
 * reviews, and an election.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class JacksonCompatibilityIT {

  @Test
  void theJacksonSpringBootManagesRunsFabric8AgainstTheApiServer(TestCluster cluster) {
    // What this test proves depends on which Jackson it runs with: the one Boot 4.1 manages.
    assertThat(tools.jackson.databind.cfg.PackageVersion.VERSION.toString())
        .as(
            "This test proves fabric8 8.0 works on the Jackson that Spring Boot manages (3.1.x in"
                + " Boot 4.1). If Boot now manages another version, update this expectation.")
        .startsWith("3.1.");

    String ns = cluster.createUniqueNamespace("spring-jackson");
    String previous = System.getProperty("kubeconfig");
    System.setProperty("kubeconfig", cluster.kubeconfigFile().toString());
    try (ConfigurableApplicationContext ctx =
        SpringApps.start(
            null,
            "spring.application.name=jackson",
            "leaderelection.namespace=" + ns,
            "leaderelection.lease-duration=4s",
            "leaderelection.renew-deadline=3s",
            "leaderelection.retry-period=1s")) {
      assertThat(ctx.containsBean("kubernetesClient")).isTrue();
      KubernetesClient client = ctx.getBean(KubernetesClient.class);

      Instant acquired = Instant.parse("2026-03-04T05:06:07.123456Z");
      Lease written =
          new LeaseBuilder()
              .withNewMetadata()
              .withName("typed")
              .withNamespace(ns)
              .withLabels(Map.of("app", "jackson"))
              .withAnnotations(Map.of("note", "ünïcødé"))
              .endMetadata()
              .withNewSpec()
              .withHolderIdentity("someone")
              .withLeaseDurationSeconds(7)
              .withAcquireTime(ZonedDateTime.parse("2026-03-04T05:06:07.123456Z"))
              .withRenewTime(ZonedDateTime.parse("2026-03-04T05:06:08.000001Z"))
              .withLeaseTransitions(3)
              .endSpec()
              .build();
      Lease created = client.leases().inNamespace(ns).resource(written).create();
      Lease read = client.leases().inNamespace(ns).withName("typed").get();
      assertThat(read.getMetadata().getResourceVersion())
          .isEqualTo(created.getMetadata().getResourceVersion());
      assertThat(read.getMetadata().getLabels()).containsEntry("app", "jackson");
      assertThat(read.getMetadata().getAnnotations()).containsEntry("note", "ünïcødé");
      assertThat(read.getSpec().getHolderIdentity()).isEqualTo("someone");
      assertThat(read.getSpec().getLeaseDurationSeconds()).isEqualTo(7);
      assertThat(read.getSpec().getLeaseTransitions()).isEqualTo(3);
      assertThat(read.getSpec().getAcquireTime().toInstant()).isEqualTo(acquired);
      assertThat(read.getSpec().getRenewTime().toInstant())
          .isEqualTo(Instant.parse("2026-03-04T05:06:08.000001Z"));
      // On the wire, as the API server stores it: MicroTime, six fractional digits.
      assertThat(client.getKubernetesSerialization().asJson(read))
          .contains("\"renewTime\":\"2026-03-04T05:06:08.000001Z\"");

      Lease edited =
          client
              .leases()
              .inNamespace(ns)
              .withName("typed")
              .edit(l -> new LeaseBuilder(l).editSpec().withHolderIdentity("").endSpec().build());
      assertThat(edited.getSpec().getHolderIdentity()).isEmpty();
      assertThat(client.leases().inNamespace(ns).list().getItems())
          .extracting(l -> l.getMetadata().getName())
          .contains("typed");

      // The election of the context, through the same client.
      LeaderElection election = ctx.getBean(LeaderElection.class);
      await().atMost(Duration.ofSeconds(30)).until(election::isLeader);
      Lease elected = client.leases().inNamespace(ns).withName("jackson").get();
      assertThat(elected.getSpec().getHolderIdentity()).isEqualTo(election.identity());
      assertThat(elected.getSpec().getRenewTime()).isNotNull();
    } finally {
      if (previous == null) {
        System.clearProperty("kubeconfig");
      } else {
        System.setProperty("kubeconfig", previous);
      }
    }
  }
}
