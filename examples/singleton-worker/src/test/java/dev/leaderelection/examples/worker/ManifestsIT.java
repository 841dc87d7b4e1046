package dev.leaderelection.examples.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The manifests in {@code k8s/} as the real API server sees them. */
@ExtendWith(LocalControlPlaneExtension.class)
class ManifestsIT {

  @Test
  void everyManifestPassesAStrictServerSideDryRunAndThenApplies(TestCluster cluster)
      throws IOException {
    KubernetesClient admin = cluster.adminClient();
    // As `kubectl apply --server-side --validate=strict -f k8s/` would, in file order.
    for (String file : List.of("namespace.yaml", "rbac.yaml", "deployment.yaml")) {
      for (HasMetadata o : ManifestsTest.load(file)) {
        admin
            .resource(o)
            .dryRun()
            .fieldValidation(Validation.STRICT)
            .fieldManager("manifests-it")
            .serverSideApply();
        admin
            .resource(o)
            .fieldValidation(Validation.STRICT)
            .fieldManager("manifests-it")
            .serverSideApply();
      }
    }
    Deployment stored =
        admin
            .apps()
            .deployments()
            .inNamespace("singleton-worker")
            .withName("singleton-worker")
            .get();
    assertThat(stored).isNotNull();
    assertThat(stored.getSpec().getReplicas()).isEqualTo(3);
    assertThat(stored.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
        .isEqualTo(30L);
  }

  @Test
  void theStrictCheckRejectsAMisspelledField(TestCluster cluster) throws IOException {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("manifests");
    String yaml =
        Files.readString(Path.of("k8s", "deployment.yaml"), StandardCharsets.UTF_8)
            .replace("namespace: singleton-worker", "namespace: " + ns)
            .replace("terminationGracePeriodSeconds:", "terminationGracePeriod:");
    assertThatThrownBy(
            () ->
                admin
                    .resource(yaml)
                    .dryRun()
                    .fieldValidation(Validation.STRICT)
                    .fieldManager("manifests-it")
                    .serverSideApply())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("terminationGracePeriod");
  }
}
