package dev.leaderelection.spring;

import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** Real Spring Boot applications for the integration tests, and RBAC set-up in the cluster. */
final class SpringApps {
  private SpringApps() {}

  /** The application: every auto-configuration on the class path, scheduling, one job. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  @EnableScheduling
  static class App {
    @Bean
    EventRecorder eventRecorder() {
      return new EventRecorder();
    }

    @Bean
    Jobs jobs(LeaderElection election) {
      return new Jobs(election);
    }
  }

  /**
   * The application for {@link #startClientJavaOnly}: every auto-configuration on the (filtered)
   * class path and nothing to proxy, since a CGLIB proxy defined in the filtering class loader
   * cannot subclass this package's classes. {@code @LeaderOnly} does not depend on the client.
   */
  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class ClientJavaApp {}

  /** A leader-only job that counts its runs and any run made while not leading. */
  static class Jobs {
    final LeaderElection election;
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger runsWhileNotLeader = new AtomicInteger();

    Jobs(LeaderElection election) {
      this.election = election;
    }

    @Scheduled(fixedDelay = 100)
    @LeaderOnly
    void work() {
      runs.incrementAndGet();
      if (!election.isLeader()) {
        runsWhileNotLeader.incrementAndGet();
      }
    }
  }

  /**
   * Starts the application.
   *
   * @param client the client to use as the application's own bean (closed with the context), or
   *     {@code null} to let the starter create one
   * @param properties {@code key=value} pairs
   * @return the running context
   */
  static ConfigurableApplicationContext start(
      @Nullable KubernetesClient client, String... properties) {
    List<String> props = new ArrayList<>(List.of(properties));
    props.add("spring.main.register-shutdown-hook=false");
    SpringApplicationBuilder b =
        new SpringApplicationBuilder(App.class)
            .web(WebApplicationType.NONE)
            .bannerMode(Banner.Mode.OFF)
            .properties(props.toArray(new String[0]));
    if (client != null) {
      b.initializers(
          ctx ->
              ((GenericApplicationContext) ctx)
                  .registerBean(
                      "applicationKubernetesClient",
                      KubernetesClient.class,
                      () -> client,
                      bd -> bd.setDestroyMethodName("close")));
    }
    return b.run();
  }

  /**
   * Starts the application with client-java only: fabric8 hidden from the context's class loader
   * (as if the application excluded it from the starter's dependencies), {@code apiClient} its own
   * bean.
   *
   * @param apiClient the application's client
   * @param properties {@code key=value} pairs
   * @return the running context
   */
  static ConfigurableApplicationContext startClientJavaOnly(
      ApiClient apiClient, String... properties) {
    List<String> props = new ArrayList<>(List.of(properties));
    props.add("spring.main.register-shutdown-hook=false");
    return new SpringApplicationBuilder(ClientJavaApp.class)
        .web(WebApplicationType.NONE)
        .bannerMode(Banner.Mode.OFF)
        .resourceLoader(
            new DefaultResourceLoader(
                new FilteredClassLoader(
                    "io.fabric8.kubernetes.client", "dev.leaderelection.fabric8")))
        .properties(props.toArray(new String[0]))
        .initializers(
            ctx ->
                ((GenericApplicationContext) ctx)
                    .registerBean("applicationApiClient", ApiClient.class, () -> apiClient))
        .run();
  }

  /** An {@link ApiClient} as an application builds one: a URL and a bearer token. */
  static ApiClient apiClient(String url, String token) {
    return new ClientBuilder()
        .setBasePath(url)
        .setVerifyingSsl(false)
        .setAuthentication(new AccessTokenAuthentication(token))
        .build();
  }

  /** An {@link ApiClient} as the ServiceAccount {@code sa} (created if absent). */
  static ApiClient serviceAccountApiClient(TestCluster cluster, String namespace, String sa) {
    return apiClient(
        cluster.apiServerUrl(),
        java.util.Objects.requireNonNull(
            cluster.serviceAccountConfig(namespace, sa).getOauthToken()));
  }

  /** Grants {@code verbs} on leases in {@code namespace} to the ServiceAccount {@code sa}. */
  static void grant(TestCluster cluster, String namespace, String sa, String... verbs) {
    KubernetesClient admin = cluster.adminClient();
    String name = sa + "-leases";
    admin
        .rbac()
        .roles()
        .inNamespace(namespace)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addNewRule()
                .withApiGroups("coordination.k8s.io")
                .withResources("leases")
                .withVerbs(verbs)
                .endRule()
                .build())
        .create();
    admin
        .rbac()
        .roleBindings()
        .inNamespace(namespace)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName(name)
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(sa)
                .withNamespace(namespace)
                .endSubject()
                .build())
        .create();
  }
}
