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
 * The Spring starter's dependency set for client-java only, taken literally from
 * docs/configuration.md (the BOM of the starter's section, then the client-java snippet), in a
 * Spring Boot 4.1 application: resolved by Maven alone it has no fabric8 and no Vert.x, and the
 * application starts and leads a Lease through client-java against a real API server.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class SpringClientJavaDependencySetIT {
  @Test
  void theStartersClientJavaDependencySetHasNoFabric8AndLeads(
      TestCluster cluster, @TempDir Path dir) throws Exception {
    String bom =
        DocumentedDependencySet.xmlAfter("docs/configuration.md", "## Spring Boot starter");
    String clientJava =
        DocumentedDependencySet.xmlAfter(
            "docs/configuration.md", "### The Kubernetes client: fabric8 or client-java");
    String management = bom.substring(0, bom.indexOf("<dependencies>\n  <dependency>"));
    // The application is a Spring Boot 4.1 application: its own Boot BOM and starter.
    String boot =
        """
        <dependency>
          <groupId>org.springframework.boot</groupId>
          <artifactId>spring-boot-dependencies</artifactId>
          <version>4.1.2</version>
          <type>pom</type>
          <scope>import</scope>
        </dependency>
        """;
    String dependencies =
        management.replace(
                "  </dependencies>\n</dependencyManagement>",
                boot + "  </dependencies>\n</dependencyManagement>")
            + clientJava.replace(
                "<dependencies>\n",
                "<dependencies>\n  <dependency>\n    <groupId>org.springframework.boot</groupId>\n"
                    + "    <artifactId>spring-boot-starter</artifactId>\n  </dependency>\n");
    DocumentedDependencySet app =
        DocumentedDependencySet.resolve(
            dir,
            dependencies,
            List.of(
                "leaderelection-core",
                "leaderelection-micrometer",
                "leaderelection-fabric8",
                "leaderelection-client-java",
                "leaderelection-spring"));
    assertThat(app.classpath())
        .contains("leaderelection-spring-")
        .contains("leaderelection-client-java-")
        .containsPattern("client-java-[0-9]")
        .doesNotContain("fabric8")
        .doesNotContain("vertx");

    String namespace = cluster.createUniqueNamespace("spring-cj");
    String out =
        app.compileAndRun(
            "SpringClientJavaMain.java",
            "dev.leaderelection.examples.snippets.SpringClientJavaMain",
            Map.of(
                "KUBECONFIG",
                cluster.kubeconfigFile().toString(),
                "LEADERELECTION_NAMESPACE",
                namespace,
                "SPRING_APPLICATION_NAME",
                "spring-cj-app"));
    assertThat(out).contains("Leases through client-java").contains("spring app leads");
  }
}
