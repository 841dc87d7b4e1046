package dev.leaderelection.examples.clientjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import java.io.IOException;
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
      for (HasMetadata o : Manifests.load(file)) {
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
            .inNamespace("singleton-worker-client-java")
            .withName("singleton-worker")
            .get();
    assertThat(stored).isNotNull();
    assertThat(stored.getSpec().getReplicas()).isEqualTo(3);
  }
}
