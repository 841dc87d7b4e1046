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
 * README's quick start, taken literally: an application whose pom has exactly the Maven snippet of
 * README.md, resolved by Maven on its own (not the reactor's class path), compiles README's program
 * and runs it against a real API server, where it leads. This project's artifacts come from a local
 * repository laid out as if they were published; everything else from the local Maven repository,
 * offline.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ReadmeQuickStartIT {
  @Test
  void readmesProgramRunsAndLeadsWithExactlyReadmesDependencies(
      TestCluster cluster, @TempDir Path dir) throws Exception {
    String dependencies = DocumentedDependencySet.xmlAfter("README.md", "## Usage");
    assertThat(dependencies).contains("leaderelection-bom").contains("leaderelection-fabric8");

    DocumentedDependencySet app =
        DocumentedDependencySet.resolve(
            dir, dependencies, List.of("leaderelection-core", "leaderelection-fabric8"));
    assertThat(app.classpath())
        .containsPattern("kubernetes-client-[0-9]")
        .contains("leaderelection-fabric8-");

    String namespace = cluster.createUniqueNamespace("readme");
    String out =
        app.compileAndRun(
            "ReadmeMain.java",
            "dev.leaderelection.examples.snippets.ReadmeMain",
            Map.of(
                "KUBECONFIG",
                cluster.kubeconfigFile().toString(),
                "KUBERNETES_NAMESPACE",
                namespace));
    assertThat(out)
        .contains("leading, fencing token ")
        .contains("this process leads lease " + namespace + "/my-controller");
  }
}
