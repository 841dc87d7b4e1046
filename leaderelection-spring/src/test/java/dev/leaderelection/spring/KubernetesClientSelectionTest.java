package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Which Kubernetes client the starter's Leases go through: {@code
 * leaderelection.kubernetes-client}, else the only client on the class path, else the client whose
 * bean the application defines, else fabric8. Clients are hidden with {@link FilteredClassLoader};
 * every client points at an address that refuses connections.
 */
@ExtendWith(OutputCaptureExtension.class)
class KubernetesClientSelectionTest {
  private static final String NOWHERE = LeaderElectionAutoConfigurationTest.NOWHERE;

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LeaderElectionAutoConfiguration.class))
          .withPropertyValues(
              "spring.application.name=app",
              "leaderelection.namespace=team-a",
              "leaderelection.rbac-check=off",
              "leaderelection.release-on-shutdown=false");

  /** The application's client-java client. */
  @Configuration(proxyBeanMethods = false)
  static class UserApiClient {
    @Bean
    ApiClient userApiClient() {
      return apiClient();
    }
  }

  static ApiClient apiClient() {
    return new ClientBuilder()
        .setBasePath(NOWHERE)
        .setVerifyingSsl(false)
        .setAuthentication(new AccessTokenAuthentication("token"))
        .build();
  }

  private static ApplicationContextRunner withBoth(ApplicationContextRunner r) {
    return r.withUserConfiguration(
        LeaderElectionAutoConfigurationTest.UnreachableClient.class, UserApiClient.class);
  }

  private static void usesFabric8(AssertableApplicationContext ctx) {
    assertThat(ctx).hasNotFailed();
    assertThat(ctx.getBean(LeaseLockFactory.class)).isInstanceOf(KubernetesLeaseLockFactory.class);
    assertThat(lock(ctx)).isInstanceOf(KubernetesLeaseLock.class);
  }

  private static void usesClientJava(AssertableApplicationContext ctx) {
    assertThat(ctx).hasNotFailed();
    assertThat(ctx.getBean(LeaseLockFactory.class)).isInstanceOf(ClientJavaLeaseLockFactory.class);
    assertThat(lock(ctx)).isInstanceOf(ClientJavaLeaseLock.class);
    assertThat(lock(ctx).description()).isEqualTo("lease team-a/app");
  }

  private static dev.leaderelection.core.LeaseLock lock(AssertableApplicationContext ctx) {
    return ((ManagedLeaderElection) ctx.getBean(LeaderElection.class)).lock();
  }

  private static FailureAnalysis analysisOf(AssertableApplicationContext ctx) {
    Throwable failure = ctx.getStartupFailure();
    assertThat(failure).isNotNull();
    return Objects.requireNonNull(
        new LeaderElectionFailureAnalyzer().analyze(Objects.requireNonNull(failure)));
  }

  // ---- by the application's beans ----------------------------------------------------------

  @Test
  void anApiClientBeanAloneSelectsClientJavaWithThatClientAndNoFabric8Client(
      CapturedOutput output) {
    runner
        .withUserConfiguration(UserApiClient.class)
        .run(
            ctx -> {
              usesClientJava(ctx);
              assertThat(ctx).doesNotHaveBean(KubernetesClient.class);
              assertThat(
                      ((ClientJavaLeaseLockFactory) ctx.getBean(LeaseLockFactory.class)).client())
                  .isSameAs(ctx.getBean(ApiClient.class));
              assertThat(output)
                  .contains(
                      "Leader election: Leases through client-java, because the application"
                          + " defines an ApiClient bean");
            });
  }

  @Test
  void aKubernetesClientBeanAloneSelectsFabric8(CapturedOutput output) {
    runner
        .withUserConfiguration(LeaderElectionAutoConfigurationTest.UnreachableClient.class)
        .run(
            ctx -> {
              usesFabric8(ctx);
              assertThat(ctx).doesNotHaveBean(ApiClient.class);
              assertThat(output)
                  .contains(
                      "Leader election: Leases through fabric8, because the application defines a"
                          + " KubernetesClient bean");
            });
  }

  @Test
  void bothBeansSelectFabric8AndTheLogSaysWhyAndHowToChoose(CapturedOutput output) {
    withBoth(runner)
        .run(
            ctx -> {
              usesFabric8(ctx);
              assertThat(ctx).hasBean("userClient").doesNotHaveBean("kubernetesClient");
              assertThat(output)
                  .contains(
                      "Leader election: Leases through fabric8, because the application defines"
                          + " both a KubernetesClient and an ApiClient bean, and fabric8 is the"
                          + " default; set leaderelection.kubernetes-client=client-java to use"
                          + " client-java");
            });
  }

  @Test
  void neitherBeanWithBothOnTheClassPathSelectsFabric8WithItsDefaultClient(CapturedOutput output) {
    runner.run(
        ctx -> {
          usesFabric8(ctx);
          assertThat(ctx).hasSingleBean(KubernetesClient.class).hasBean("kubernetesClient");
          assertThat(ctx).doesNotHaveBean(ApiClient.class);
          assertThat(output)
              .contains(
                  "Leader election: Leases through fabric8, because both fabric8 and client-java"
                      + " are on the class path and the application defines neither client as a"
                      + " bean, and fabric8 is the default;");
        });
  }

  // ---- by the class path -------------------------------------------------------------------

  @Test
  void withoutFabric8ClientJavaIsUsedWithADefaultApiClientOfItsOwnReleasedOnClose(
      CapturedOutput output) {
    AtomicReference<ApiClient> own = new AtomicReference<>();
    runner
        .withClassLoader(new FilteredClassLoader(KubernetesClient.class))
        .run(
            ctx -> {
              usesClientJava(ctx);
              // Not a bean: the application's other configuration sees no ApiClient of ours.
              assertThat(ctx).doesNotHaveBean(ApiClient.class);
              ClientJavaLeaseLockFactory f =
                  (ClientJavaLeaseLockFactory) ctx.getBean(LeaseLockFactory.class);
              assertThat(f.toString()).contains("default ApiClient");
              own.set(f.client());
              assertThat(f.client().getHttpClient().dispatcher().executorService().isShutdown())
                  .isFalse();
              assertThat(output)
                  .contains(
                      "Leader election: Leases through client-java, because it is the only"
                          + " Kubernetes client on the class path");
            });
    assertThat(
            Objects.requireNonNull(own.get())
                .getHttpClient()
                .dispatcher()
                .executorService()
                .isShutdown())
        .isTrue();
  }

  @Test
  void theApplicationsApiClientIsLeftOpenOnClose() {
    AtomicReference<ApiClient> users = new AtomicReference<>();
    runner
        .withUserConfiguration(UserApiClient.class)
        .run(ctx -> users.set(ctx.getBean(ApiClient.class)));
    assertThat(
            Objects.requireNonNull(users.get())
                .getHttpClient()
                .dispatcher()
                .executorService()
                .isShutdown())
        .isFalse();
  }

  @Test
  void withoutClientJavaAnApiClientNameDoesNotMatterAndFabric8IsUsed() {
    runner
        .withClassLoader(new FilteredClassLoader(ClientJavaLeaseLock.class))
        .withUserConfiguration(LeaderElectionAutoConfigurationTest.UnreachableClient.class)
        .run(KubernetesClientSelectionTest::usesFabric8);
  }

  @Test
  void withNeitherClientTheStartUpNamesTheDependenciesOfBoth() {
    runner
        .withClassLoader(new FilteredClassLoader(KubernetesClient.class, ApiClient.class))
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "The Kubernetes backend needs a Kubernetes client, and neither fabric8 nor"
                          + " client-java is on the class path.");
              assertThat(a.getAction())
                  .contains(
                      "dev.leaderelection:leaderelection-fabric8 and io.fabric8:kubernetes-client")
                  .contains(
                      "dev.leaderelection:leaderelection-client-java and io.kubernetes:client-java"
                          + " (25 or later)")
                  .contains("leaderelection.mode=local");
            });
  }

  // ---- by the property ---------------------------------------------------------------------

  @Test
  void thePropertyChoosesClientJavaOverBothBeans() {
    withBoth(runner)
        .withPropertyValues("leaderelection.kubernetes-client=client-java")
        .run(
            ctx -> {
              usesClientJava(ctx);
              assertThat(
                      ((ClientJavaLeaseLockFactory) ctx.getBean(LeaseLockFactory.class)).client())
                  .isSameAs(ctx.getBean(ApiClient.class));
            });
  }

  @Test
  void thePropertyChoosesFabric8OverAnApiClientBean(CapturedOutput output) {
    runner
        .withUserConfiguration(UserApiClient.class)
        .withPropertyValues("leaderelection.kubernetes-client=fabric8")
        .run(
            ctx -> {
              usesFabric8(ctx);
              assertThat(ctx).hasBean("kubernetesClient");
              assertThat(output)
                  .contains(
                      "Leader election: Leases through fabric8, because"
                          + " leaderelection.kubernetes-client=fabric8");
            });
  }

  @Test
  void relaxedSpellingsOfTheClientAndThePropertyAreAccepted() {
    for (String setting :
        new String[] {
          "leaderelection.kubernetes-client=CLIENT_JAVA",
          "leaderelection.kubernetesClient=clientJava",
          "leaderelection.kubernetes_client=Client-Java"
        }) {
      withBoth(runner)
          .withPropertyValues(setting)
          .run(KubernetesClientSelectionTest::usesClientJava);
    }
  }

  @Test
  void thePropertyNamingAClientNotOnTheClassPathFailsNamingTheMissingDependency() {
    runner
        .withClassLoader(new FilteredClassLoader(ApiClient.class))
        .withUserConfiguration(LeaderElectionAutoConfigurationTest.UnreachableClient.class)
        .withPropertyValues("leaderelection.kubernetes-client=client-java")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "leaderelection.kubernetes-client=client-java, but"
                          + " io.kubernetes.client.openapi.ApiClient is not on the class path, so"
                          + " the Leases cannot go through client-java.");
              assertThat(a.getAction())
                  .isEqualTo(
                      "Add dev.leaderelection:leaderelection-client-java and"
                          + " io.kubernetes:client-java (25 or later) to the application's"
                          + " dependencies, or remove leaderelection.kubernetes-client to use the"
                          + " client that is there.");
            });
    runner
        .withClassLoader(new FilteredClassLoader(KubernetesLeaseLock.class))
        .withUserConfiguration(UserApiClient.class)
        .withPropertyValues("leaderelection.kubernetes-client=fabric8")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "leaderelection.kubernetes-client=fabric8, but"
                          + " dev.leaderelection.fabric8.KubernetesLeaseLock is not on the class"
                          + " path, so the Leases cannot go through fabric8.");
              assertThat(a.getAction())
                  .startsWith(
                      "Add dev.leaderelection:leaderelection-fabric8 and"
                          + " io.fabric8:kubernetes-client");
            });
  }

  @Test
  void anApplicationsLeaseLockFactoryNeedsNoClientWhateverThePropertySays() {
    runner
        .withClassLoader(new FilteredClassLoader(ApiClient.class))
        .withPropertyValues("leaderelection.kubernetes-client=client-java")
        .withBean(LeaseLockFactory.class, LocalLeaseLockFactory::new)
        .run(ctx -> assertThat(ctx).hasNotFailed());
  }

  @Test
  void aMisspelledClientIsRefusedNamingTheValidValues() {
    withBoth(runner)
        .withPropertyValues("leaderelection.kubernetes-client=fabirc8")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "leaderelection.kubernetes-client='fabirc8' is not a Kubernetes client the"
                          + " starter knows.");
              assertThat(a.getAction())
                  .isEqualTo(
                      "Set leaderelection.kubernetes-client to fabric8 or client-java, or remove it"
                          + " to let the starter choose (the client whose bean the application"
                          + " defines, else fabric8).");
            });
  }

  @Test
  void aMisspelledPropertyNameIsRefusedNamingTheClientProperty() {
    withBoth(runner)
        .withPropertyValues("leaderelection.kubernetes-clent=client-java")
        .run(
            ctx ->
                assertThat(analysisOf(ctx).getAction())
                    .startsWith("Did you mean leaderelection.kubernetes-client?"));
  }

  // ---- namespace ---------------------------------------------------------------------------

  @Test
  void withClientJavaAndNoNamespaceOutsideAPodTheStartUpSaysTheApiClientCarriesNone() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(LeaderElectionAutoConfiguration.class))
        .withUserConfiguration(UserApiClient.class)
        .withPropertyValues("spring.application.name=app", "leaderelection.rbac-check=off")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "Cannot set up the Lease 'app' of leader election 'default': it has no"
                          + " namespace. leaderelection.namespace is not set, this process does"
                          + " not run in a pod, and client-java's ApiClient carries no namespace"
                          + " (the kubeconfig's is not used); there may be no cluster at all.");
              assertThat(a.getAction())
                  .isEqualTo(
                      "To elect in a cluster, set leaderelection.namespace. To run without a"
                          + " cluster (development, tests), set leaderelection.mode=local: this"
                          + " process then leads alone, with an in-memory lease.");
            });
  }

  @Test
  void withClientJavaTheElectionReportsTheConfiguredNamespace() {
    runner
        .withUserConfiguration(UserApiClient.class)
        .run(ctx -> assertThat(ctx.getBean(LeaderElection.class).namespace()).contains("team-a"));
  }
}
