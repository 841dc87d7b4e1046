package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class Fabric8VersionsTest {

  @Test
  void oneVersionOf75OrLaterCanRun() {
    assertThat(Fabric8Versions.problem(List.of("8.0.0"), List.of("8.0.0"))).isNull();
    assertThat(Fabric8Versions.problem(List.of("7.6.1"), List.of("7.6.1"))).isNull();
    assertThat(Fabric8Versions.problem(List.of("7.5.2"), List.of())).as("shaded impl").isNull();
    assertThat(Fabric8Versions.problem(List.of(), List.of())).as("no metadata: unchecked").isNull();
  }

  @Test
  void mixedVersionsAreRefusedNamingBothAndTheFix() {
    // What a Java Operator SDK 5.3 project got before: the API from this module, the impl from
    // JOSDK.
    String p = Fabric8Versions.problem(List.of("8.0.0"), List.of("7.6.1"));
    assertThat(p)
        .contains("kubernetes-client-api [8.0.0]")
        .contains("kubernetes-client [7.6.1]")
        .contains("NoSuchMethodError")
        .contains("kubernetes-client-bom");
    assertThat(Fabric8Versions.problem(List.of("7.6.1", "8.0.0"), List.of("8.0.0")))
        .as("two copies of the API")
        .isNotNull();
  }

  @Test
  void versionsBefore75AreRefused() {
    assertThat(Fabric8Versions.problem(List.of("7.4.0"), List.of("7.4.0")))
        .contains("7.4.0 is too old")
        .contains("7.5 or later");
    assertThat(Fabric8Versions.problem(List.of("6.13.5"), List.of("6.13.5"))).isNotNull();
  }

  @Test
  void theClassPathOfThisBuildPasses() {
    Fabric8Versions.check();
  }
}
