package dev.leaderelection.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * A dependency set of the docs, taken literally: an application whose pom has exactly a Maven
 * snippet of the docs, resolved by Maven on its own (not the reactor's class path), that compiles a
 * program and runs it. This project's artifacts come from a local repository laid out as if they
 * were published; everything else from the local Maven repository, offline.
 */
final class DocumentedDependencySet {
  static final Path ROOT = Path.of(System.getProperty("docs.root", "../.."));
  static final String VERSION = System.getProperty("project.version", "0.1.0-SNAPSHOT");

  private final Path app;
  private final String classpath;

  private DocumentedDependencySet(Path app, String classpath) {
    this.app = app;
    this.classpath = classpath;
  }

  /**
   * The first {@code ```xml} block after {@code heading} in {@code doc}.
   *
   * @param doc a Markdown file under the project's root
   * @param heading a heading line of it
   */
  static String xmlAfter(String doc, String heading) throws IOException {
    String text = Files.readString(ROOT.resolve(doc), StandardCharsets.UTF_8);
    int at = text.indexOf(heading);
    assertThat(at).as("%s has the heading %s", doc, heading).isNotNegative();
    String section = text.substring(at);
    int start = section.indexOf("```xml\n") + "```xml\n".length();
    return section.substring(start, section.indexOf("```", start));
  }

  /**
   * Publishes the parent, the BOM and {@code modules} into a repository under {@code dir}, then
   * resolves {@code dependencies} with Maven alone.
   */
  static DocumentedDependencySet resolve(Path dir, String dependencies, List<String> modules)
      throws IOException, InterruptedException {
    Path repo = dir.resolve("repo");
    publish(repo, "leaderelection-parent", ROOT.resolve("pom.xml"), null);
    publish(repo, "leaderelection-bom", ROOT.resolve("leaderelection-bom/pom.xml"), null);
    for (String module : modules) {
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
          <artifactId>docs-app</artifactId>
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
    return new DocumentedDependencySet(app, Files.readString(classpathFile).trim());
  }

  /** {@return the resolved class path} */
  String classpath() {
    return classpath;
  }

  /**
   * Compiles {@code source} (a file of this module's tests) on the class path alone and runs {@code
   * mainClass} with {@code env}; returns what it printed.
   */
  String compileAndRun(String source, String mainClass, Map<String, String> env)
      throws IOException, InterruptedException {
    Path file =
        Path.of("src/test/java/dev/leaderelection/examples/snippets", source).toAbsolutePath();
    Path classes = Files.createDirectories(app.resolve("classes"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
    run(app, Map.of(), javac, "-d", classes.toString(), "-cp", classpath, file.toString());
    return run(app, env, java, "-cp", classes + File.pathSeparator + classpath, mainClass);
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
