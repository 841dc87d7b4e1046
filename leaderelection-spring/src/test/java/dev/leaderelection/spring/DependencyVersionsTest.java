package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.core.SpringVersion;

/**
 * The starter builds and tests on exactly the versions Spring Boot manages: no pin below them is
 * left from when the reachable repository lacked an artifact (a pin's reason goes stale; the
 * mismatch then hides behind a green build).
 */
class DependencyVersionsTest {

  private static String versionOf(Class<?> type) {
    return String.valueOf(type.getPackage().getImplementationVersion());
  }

  @Test
  void springBootTestIsTheVersionOfSpringBoot() {
    assertThat(versionOf(org.springframework.boot.test.context.SpringBootTest.class))
        .isEqualTo(SpringBootVersion.getVersion());
  }

  @Test
  void springTestAndSpringMessagingAreTheVersionOfSpringFramework() {
    assertThat(versionOf(org.springframework.test.context.TestContext.class))
        .isEqualTo(SpringVersion.getVersion());
    assertThat(versionOf(org.springframework.messaging.Message.class))
        .isEqualTo(SpringVersion.getVersion());
  }

  @Test
  void springIntegrationIsTheOneSpringBoot41Manages() {
    // Spring Boot 4.1.2 manages Spring Integration 7.1.2.
    assertThat(SpringBootVersion.getVersion()).isEqualTo("4.1.2");
    assertThat(versionOf(org.springframework.integration.leader.Context.class)).isEqualTo("7.1.2");
  }
}
