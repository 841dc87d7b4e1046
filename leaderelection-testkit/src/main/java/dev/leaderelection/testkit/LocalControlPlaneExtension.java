package dev.leaderelection.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one cluster per test run (the first time a test asks for it) and injects it into test
 * constructors, lifecycle and test methods: parameters of type {@link TestCluster} (either kind) or
 * {@link LocalControlPlane} (the local kind only). It is stopped when the test run ends.
 *
 * <pre>{@code
 * @ExtendWith(LocalControlPlaneExtension.class)
 * class LeaseIT {
 *   @Test
 *   void works(TestCluster cluster) { ... cluster.adminClient() ... }
 * }
 * }</pre>
 *
 * <p><b>Which cluster.</b> By default a {@link LocalControlPlane} with its logs under {@code
 * target/controlplane-N/} (the first free N; the base directory may be changed with the system
 * property {@code leaderelection.it.dir}). It never skips: without Go to build the binaries the
 * tests fail with a message saying what to install. With {@code -Dleaderelection.it.cluster=k3s} a
 * Testcontainers K3s cluster is used instead; where Docker is absent, every test that uses this
 * extension is reported as skipped with that reason, and tests that need a {@link
 * LocalControlPlane} (restarts, pauses) are skipped in K3s mode.
 */
public final class LocalControlPlaneExtension implements ParameterResolver, ExecutionCondition {

  /** The system property that selects the cluster: {@code local} (default) or {@code k3s}. */
  public static final String CLUSTER_PROPERTY = "leaderelection.it.cluster";

  private static final AtomicBoolean SKIP_REPORTED = new AtomicBoolean();

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalControlPlaneExtension.class);

  /** Creates the extension; JUnit does this. */
  public LocalControlPlaneExtension() {}

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (!k3sMode()) {
      return ConditionEvaluationResult.enabled("local control plane");
    }
    if (!K3sCluster.dockerAvailable()) {
      String reason =
          "SKIPPED: -D"
              + CLUSTER_PROPERTY
              + "=k3s selects a Testcontainers K3s cluster, but no Docker engine is available on"
              + " this machine (run without that property to use the local control plane)";
      if (SKIP_REPORTED.compareAndSet(false, true)) {
        System.err.println("[testkit] " + reason);
      }
      return ConditionEvaluationResult.disabled(reason);
    }
    Optional<Class<?>> testClass = context.getTestClass();
    if (testClass.isPresent()
        && Arrays.stream(testClass.get().getDeclaredConstructors())
            .anyMatch(LocalControlPlaneExtension::needsLocal)) {
      return ConditionEvaluationResult.disabled(
          "SKIPPED in K3s mode: this test class needs the LocalControlPlane");
    }
    Optional<Method> method = context.getTestMethod();
    if (method.isPresent() && needsLocal(method.get())) {
      return ConditionEvaluationResult.disabled(
          "SKIPPED in K3s mode: this test needs the LocalControlPlane (restarts or pauses the"
              + " API server)");
    }
    return ConditionEvaluationResult.enabled("K3s cluster");
  }

  private static boolean needsLocal(Executable e) {
    return Arrays.stream(e.getParameterTypes()).anyMatch(t -> t == LocalControlPlane.class);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext context) {
    Class<?> type = parameterContext.getParameter().getType();
    return type == TestCluster.class || type == LocalControlPlane.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
    Class<?> type = parameterContext.getParameter().getType();
    TestCluster cluster = cluster(context);
    if (type == LocalControlPlane.class && !(cluster instanceof LocalControlPlane)) {
      throw new ParameterResolutionException(
          "this test needs the LocalControlPlane, but the cluster is " + cluster);
    }
    return cluster;
  }

  /**
   * The cluster of this test run, started on first use.
   *
   * @param context any extension context of the run
   * @return the shared cluster
   */
  public static TestCluster cluster(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent(TestCluster.class, k -> startCluster(), TestCluster.class);
  }

  private static boolean k3sMode() {
    return "k3s"
        .equals(System.getProperty(CLUSTER_PROPERTY, "local").trim().toLowerCase(Locale.ROOT));
  }

  private static TestCluster startCluster() {
    Path dir = newRunDirectory();
    if (k3sMode()) {
      return K3sCluster.start(dir);
    }
    return LocalControlPlane.start(dir);
  }

  private static Path newRunDirectory() {
    Path base = Paths.get(System.getProperty("leaderelection.it.dir", "target"));
    try {
      Files.createDirectories(base);
      for (int n = 1; ; n++) {
        Path dir = base.resolve("controlplane-" + n);
        try {
          return Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
          // taken; try the next
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
