package dev.leaderelection.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
  private static final Path ROOT = Path.of(System.getProperty("docs.root", "../.."));
  private static final String VERSION = System.getProperty("project.version", "0.1.0-SNAPSHOT");

  @Test
  void readmesProgramRunsAndLeadsWithExactlyReadmesDependencies(
      TestCluster cluster, @TempDir Path dir) throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    String usage = readme.substring(readme.indexOf("## Usage"));
    int start = usage.indexOf("```xml\n") + "```xml\n".length();
    String dependencies = usage.substring(start, usage.indexOf("```", start));
    assertThat(dependencies).contains("leaderelection-bom").contains("leaderelection-fabric8");

    Path repo = dir.resolve("repo");
    publish(repo, "leaderelection-parent", ROOT.resolve("pom.xml"), null);
    publish(repo, "leaderelection-bom", ROOT.resolve("leaderelection-bom/pom.xml"), null);
    for (String module : List.of("leaderelection-core", "leaderelection-fabric8")) {
      publish(
          repo,
          module,
          ROOT.resolve(module).resolve("pom.xml"),
          ROOT.resolve(module).resolve("target").resolve(module + "-" + VERSION + ".jar"));
    }

    Path app = Files.createDirectories(dir.resolve("app"));
    Files.writeString(
        app.resolve("pom.xml"),
        """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>com.example</groupId>
          <artifactId>readme-app</artifactId>
          <version>1</version>
        """
            + dependencies
            + """
          <build>
            <plugins>
              <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-dependency-plugin</artifactId>
                <version>3.7.0</version>
              </plugin>
            </plugins>
          </build>
        </project>
        """);
    Path m2 =
        Path.of(
            System.getProperty(
                "maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
    Path classpathFile = app.resolve("classpath.txt");
    run(
        app,
        Map.of(),
        ROOT.resolve("mvnw").toAbsolutePath().toString(),
        "-B",
        "-q",
        "-o",
        "-f",
        app.resolve("pom.xml").toString(),
        "-Dmaven.repo.local=" + repo.toAbsolutePath(),
        "-Dmaven.repo.local.tail=" + m2.toAbsolutePath(),
        "dependency:build-classpath",
        "-Dmdep.outputFile=" + classpathFile);
    String classpath = Files.readString(classpathFile).trim();
    assertThat(classpath)
        .containsPattern("kubernetes-client-[0-9]")
        .contains("leaderelection-fabric8-");

    Path source =
        Path.of("src/test/java/dev/leaderelection/examples/snippets/ReadmeMain.java")
            .toAbsolutePath();
    Path classes = Files.createDirectories(app.resolve("classes"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
    run(app, Map.of(), javac, "-d", classes.toString(), "-cp", classpath, source.toString());

    String namespace = cluster.createUniqueNamespace("readme");
    String out =
        run(
            app,
            Map.of(
                "KUBECONFIG",
                cluster.kubeconfigFile().toString(),
                "KUBERNETES_NAMESPACE",
                namespace),
            java,
            "-cp",
            classes + File.pathSeparator + classpath,
            "dev.leaderelection.examples.snippets.ReadmeMain");
    assertThat(out)
        .contains("leading, fencing token ")
        .contains("this process leads lease " + namespace + "/my-controller");
  }

  /** Lays out one of this project's artifacts in {@code repo} as Maven would install it. */
  private static void publish(Path repo, String artifact, Path pom, Path jar) throws IOException {
    Path d =
        Files.createDirectories(
            repo.resolve("dev/leaderelection").resolve(artifact).resolve(VERSION));
    Files.copy(
        pom, d.resolve(artifact + "-" + VERSION + ".pom"), StandardCopyOption.REPLACE_EXISTING);
    if (jar != null) {
      assertThat(jar).as("built by the reactor before this test (./mvnw verify)").exists();
      Files.copy(
          jar, d.resolve(artifact + "-" + VERSION + ".jar"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String run(Path dir, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(command)));
    pb.directory(dir.toFile());
    pb.redirectErrorStream(true);
    pb.environment().remove("KUBECONFIG");
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] output;
    try (var in = p.getInputStream()) {
      output = in.readAllBytes();
    }
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String text = new String(output, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("%s:%n%s", String.join(" ", command), text).isZero();
    return text;
  }
}
