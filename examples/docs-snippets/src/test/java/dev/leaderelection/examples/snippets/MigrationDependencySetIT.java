package dev.leaderelection.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration guide's dependency set for users of the official client, taken literally: exactly
 * its Maven snippet, resolved by Maven alone, has no fabric8 and runs a program that leads a Lease
 * through client-java against a real API server.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class MigrationDependencySetIT {
  @Test
  void theOfficialClientsDependencySetHasNoFabric8AndLeads(TestCluster cluster, @TempDir Path dir)
      throws Exception {
    String dependencies =
        DocumentedDependencySet.xmlAfter(
            "docs/migration.md", "## From the official Java client's `LeaderElector`");
    DocumentedDependencySet app =
        DocumentedDependencySet.resolve(
            dir, dependencies, List.of("leaderelection-core", "leaderelection-client-java"));
    assertThat(app.classpath())
        .contains("leaderelection-client-java-")
        .containsPattern("client-java-[0-9]")
        .doesNotContain("fabric8")
        .doesNotContain("vertx");

    String namespace = cluster.createUniqueNamespace("migration");
    String out =
        app.compileAndRun(
            "MigrationMain.java",
            "dev.leaderelection.examples.snippets.MigrationMain",
            Map.of(
                "KUBECONFIG",
                cluster.kubeconfigFile().toString(),
                "KUBERNETES_NAMESPACE",
                namespace));
    assertThat(out).contains("leading lease " + namespace + "/my-controller, fencing token ");
  }
}
