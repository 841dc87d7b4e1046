package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.Version;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Netty that the starter's HTTP client (fabric8's Vert.x client) runs on here has the TLS
 * hostname-verification fix (GHSA-p85m-gvr3-788c: 4.1.137.Final, 4.2.17.Final), as
 * docs/configuration.md#netty-and-vertx-versions requires.
 */
class NettyVersionTest {

  /** Whether a Netty version is at or above the fixed release of its line. */
  static boolean fixed(String version) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)\\b.*").matcher(version);
    assertThat(m.matches()).as("a Netty version: %s", version).isTrue();
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    int patch = Integer.parseInt(m.group(3));
    if (major != 4) {
      return major > 4;
    }
    if (minor == 1) {
      return patch >= 137;
    }
    if (minor == 2) {
      return patch >= 17;
    }
    return minor > 2;
  }

  @Test
  void theRuleMatchesTheAdvisory() {
    assertThat(fixed("4.1.136.Final")).isFalse();
    assertThat(fixed("4.1.137.Final")).isTrue();
    assertThat(fixed("4.1.138.Final")).isTrue();
    assertThat(fixed("4.2.0.Final")).isFalse();
    assertThat(fixed("4.2.16.Final")).isFalse();
    assertThat(fixed("4.2.17.Final")).isTrue();
    assertThat(fixed("4.3.0.Final")).isTrue();
    assertThat(fixed("4.0.56.Final")).isFalse();
  }

  @Test
  void everyNettyArtifactOnTheStartersClassPathHasTheFix() {
    Map<String, Version> netty = Version.identify();
    assertThat(netty).as("Netty artifacts on the class path").containsKey("netty-handler");
    netty.forEach(
        (artifact, v) -> {
          if (!artifact.startsWith("netty-tcnative")) { // versioned on its own (2.0.x)
            assertThat(fixed(v.artifactVersion()))
                .as("%s %s (minimum 4.1.137.Final or 4.2.17.Final)", artifact, v.artifactVersion())
                .isTrue();
          }
        });
    System.err.println(
        "[netty] netty-handler "
            + java.util.Objects.requireNonNull(netty.get("netty-handler")).artifactVersion());
  }
}
