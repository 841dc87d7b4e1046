package dev.leaderelection.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/migration.md's Maven snippet for users of the official client: the BOM, {@code
 * leaderelection-client-java} and {@code client-java} at the version this build manages, no
 * fabric8; and the client-java example, whose run-time class path its own RuntimeClasspathTest
 * checks, declares the same artifacts.
 */
class MigrationDependenciesTest {
  private static final Path ROOT =
      Path.of(System.getProperty("docs.root", "../..")).toAbsolutePath().normalize();
  private static final Pattern ARTIFACT =
      Pattern.compile("<artifactId>([^<]+)</artifactId>(?:\\s*<version>([^<]+)</version>)?");

  private static String property(String pom, String name) {
    Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(pom);
    assertThat(m.find()).as("%s in the root pom", name).isTrue();
    return m.group(1);
  }

  private static List<String> artifacts(String xml) {
    List<String> out = new ArrayList<>();
    Matcher m = ARTIFACT.matcher(xml);
    while (m.find()) {
      out.add(m.group(2) == null ? m.group(1) : m.group(1) + ":" + m.group(2));
    }
    return out;
  }

  @Test
  void theOfficialClientSectionsMavenSnippetIsTheBomTheBackendAndClientJavaWithoutFabric8()
      throws IOException {
    String rootPom = Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8);
    String version = property(rootPom, "version"); // the first: the project's own
    String clientJava = property(rootPom, "client-java.version");

    String doc = Files.readString(ROOT.resolve("docs/migration.md"), StandardCharsets.UTF_8);
    String section =
        doc.substring(doc.indexOf("## From the official Java client's `LeaderElector`"));
    section = section.substring(0, section.indexOf("\n## ", 1));
    int from = section.indexOf("```xml\n") + "```xml\n".length();
    String xml = section.substring(from, section.indexOf("```", from));

    assertThat(artifacts(xml))
        .containsExactly(
            "leaderelection-bom:" + version,
            "leaderelection-client-java",
            "client-java:" + clientJava);
    assertThat(xml).doesNotContainIgnoringCase("fabric8");

    String example =
        Files.readString(
            ROOT.resolve("examples/singleton-worker-client-java/pom.xml"), StandardCharsets.UTF_8);
    String mainDependencies = example.substring(example.indexOf("<dependencies>"));
    mainDependencies = mainDependencies.substring(0, mainDependencies.indexOf("<!-- Tests only"));
    assertThat(artifacts(mainDependencies))
        .contains("leaderelection-client-java", "client-java")
        .noneMatch(a -> a.contains("fabric8"));
  }
}
