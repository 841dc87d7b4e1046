package dev.leaderelection.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md documents exactly the starter's properties: those in the {@code
 * spring-configuration-metadata.json} that the configuration processor generates from {@code
 * LeaderElectionProperties}.
 */
class SpringPropertiesDocTest {
  private static final Pattern DOCUMENTED = Pattern.compile("`(leaderelection\\.[a-z.<>*-]+)`");

  @Test
  void configurationMdListsEveryStarterPropertyAndNoOther() throws IOException {
    Set<String> metadata = new TreeSet<>();
    try (InputStream in =
        Objects.requireNonNull(
            getClass()
                .getClassLoader()
                .getResourceAsStream("META-INF/spring-configuration-metadata.json"),
            "no spring-configuration-metadata.json on the classpath")) {
      Map<?, ?> json =
          new KubernetesSerialization()
              .unmarshal(new String(in.readAllBytes(), StandardCharsets.UTF_8), Map.class);
      for (Object p : (List<?>) json.get("properties")) {
        String name = String.valueOf(((Map<?, ?>) p).get("name"));
        if (name.startsWith("leaderelection.")) {
          metadata.add(name);
        }
      }
    }
    String root = System.getProperty("docs.root", "../..");
    String doc =
        Files.readString(Path.of(root, "docs", "configuration.md"), StandardCharsets.UTF_8);
    String section = doc.substring(doc.indexOf("## Spring Boot starter"));
    Set<String> documented = new TreeSet<>();
    Matcher m = DOCUMENTED.matcher(section);
    while (m.find()) {
      String name = m.group(1);
      documented.add(
          name.startsWith("leaderelection.elections.") ? "leaderelection.elections" : name);
    }
    assertThat(metadata).as("properties of the starter").isNotEmpty();
    assertThat(documented).as("properties documented in docs/configuration.md").isEqualTo(metadata);
  }
}
