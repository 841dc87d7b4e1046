package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The starter without the optional libraries really absent from the class path, not only hidden
 * from conditions as {@code FilteredClassLoader} does: no Spring Boot health module or actuator, no
 * Micrometer metrics ({@code micrometer-core}; Spring's own {@code micrometer-observation} stays),
 * no Spring Integration, not even a Kubernetes client, fabric8 or client-java (local mode). A class
 * that referred to one of them where it should not would fail here with {@code
 * NoClassDefFoundError}.
 */
class MinimalClasspathTest {
  private static final Pattern OPTIONAL =
      Pattern.compile(
          ".*(spring-boot-health|spring-boot-actuator|micrometer-core|spring-boot-micrometer|spring-integration|"
              + "io/fabric8|kubernetes-|vertx|netty|spring-messaging|io/kubernetes/|okhttp|"
              + "leaderelection-client-java).*");

  @Test
  void runsInLocalModeWithoutHealthMicrometerSpringIntegrationOrFabric8() throws Exception {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (String entry : Pattern.compile(Pattern.quote(File.pathSeparator)).split(classPath, -1)) {
      if (entry.isEmpty()) {
        continue;
      }
      if (OPTIONAL.matcher(entry.replace(File.separatorChar, '/')).matches()) {
        dropped.add(entry);
      } else {
        urls.add(toUrl(entry));
      }
    }
    assertThat(dropped).isNotEmpty();
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader minimal =
        new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
      for (String absent :
          List.of(
              "org.springframework.boot.health.contributor.HealthIndicator",
              "io.micrometer.core.instrument.binder.MeterBinder",
              "org.springframework.integration.leader.Context",
              "io.fabric8.kubernetes.client.KubernetesClient",
              "io.kubernetes.client.openapi.ApiClient",
              "dev.leaderelection.clientjava.ClientJavaLeaseLock")) {
        assertThatThrownBy(() -> Class.forName(absent, false, minimal))
            .isInstanceOf(ClassNotFoundException.class);
      }
      Thread.currentThread().setContextClassLoader(minimal);
      Class<?> probe = Class.forName(MinimalClasspathProbe.class.getName(), true, minimal);
      assertThat(probe).isNotSameAs(MinimalClasspathProbe.class);
      String summary = (String) probe.getMethod("run").invoke(null);
      assertThat(summary)
          .startsWith("led=true jobRuns>=2=true beans=")
          .contains("leaderElection,")
          .contains("leaderElections")
          .contains("localLeaseLockFactory")
          .doesNotContain("HealthIndicator")
          .doesNotContain("MeterBinder")
          .doesNotContain("integrationLeaderEvents")
          .doesNotContain("kubernetes");
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  private static URL toUrl(String entry) {
    try {
      return new File(entry).toURI().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException(entry, e);
    }
  }
}
