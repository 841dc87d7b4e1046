package dev.leaderelection.examples.clientjava;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The example's dependency set is the one a client-java application copies: its run-time class
 * path, as Maven resolves it from this module's pom (written by the dependency plugin before the
 * tests), has the official client and no fabric8.
 */
class RuntimeClasspathTest {

  @Test
  void theRuntimeClassPathHasTheOfficialClientAndNoFabric8() throws IOException {
    Path file =
        Path.of(
            Objects.requireNonNull(
                System.getProperty("runtime.classpath.file"),
                "runtime.classpath.file (set by the pom's surefire configuration)"));
    List<String> entries =
        Arrays.stream(
                Files.readString(file, StandardCharsets.UTF_8).trim().split(File.pathSeparator))
            .map(e -> e.replace('\\', '/'))
            .toList();
    assertThat(entries).anyMatch(e -> e.matches(".*/client-java-\\d[^/]*\\.jar"));
    assertThat(entries).anyMatch(e -> e.contains("leaderelection-client-java"));
    assertThat(entries).anyMatch(e -> e.contains("leaderelection-core"));
    assertThat(entries).noneMatch(e -> e.contains("fabric8"));
    assertThat(entries).noneMatch(e -> e.contains("vertx"));
  }
}
