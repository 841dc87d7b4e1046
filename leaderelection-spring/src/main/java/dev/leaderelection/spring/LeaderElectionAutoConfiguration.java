package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubernetes.client.openapi.ApiClient;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.integration.leader.event.DefaultLeaderEventPublisher;
import org.springframework.integration.leader.event.LeaderEventPublisher;

/**
 * Auto-configuration of leader election; see {@link LeaderElectionProperties} for the settings.
 *
 * <p>Beans, each created only if the application does not define one of the same type (or, for the
 * health indicator, name):
 *
 * <ul>
 *   <li>{@link LeaderElections}: every election, started and stopped as a {@code SmartLifecycle} in
 *       phase {@link LeaderElections#PHASE} (see there for the shutdown order);
 *   <li>{@link LeaderElection}: the election named {@code default}, or the only one;
 *   <li>{@link LeaseLockFactory}: Kubernetes Leases through fabric8's {@code KubernetesClient} or
 *       client-java's {@code ApiClient} (which one: {@code leaderelection.kubernetes-client}, else
 *       the client whose bean the application defines, else fabric8), or in-memory leases with
 *       {@code leaderelection.mode=local};
 *   <li>with fabric8: a {@code KubernetesClient}, configured as fabric8 does by default (in-cluster
 *       service account, else kubeconfig), closed with the context;
 *   <li>with client-java and no {@code ApiClient} bean: no bean, but an {@code ApiClient} of the
 *       lock factory's own from {@code Config.defaultClient()} (in-cluster, else kubeconfig),
 *       released with the context;
 *   <li>with Spring Boot's health module: the {@code leaderElectionHealthIndicator};
 *   <li>with Spring Boot's actuator: the {@code leaderElectionInfoContributor} (lease, leader and
 *       this instance's role of each election in {@code /actuator/info});
 *   <li>with Micrometer: a {@code MeterBinder} of every election's meters;
 *   <li>with Spring Integration: the bridge to its {@code OnGrantedEvent}/{@code OnRevokedEvent},
 *       through the application's {@code LeaderEventPublisher} if it has one.
 * </ul>
 *
 * <p>{@link LeaderOnly} works through an interceptor on the annotated methods (a proxy of their
 * bean); it is active whatever else the application defines.
 *
 * <p>With {@code leaderelection.enabled=false} there is no Lease and no {@code KubernetesClient},
 * but the {@link LeaderElections} and {@link LeaderElection} beans remain: elections that never
 * lead, so {@link LeaderOnly} work is skipped on every instance (a warning at start-up says so).
 */
@AutoConfiguration(
    afterName = {
      // Their KubernetesClient or ApiClient bean counts as the application's.
      "org.springframework.cloud.kubernetes.fabric8.Fabric8AutoConfiguration",
      "org.springframework.cloud.kubernetes.client.KubernetesClientAutoConfiguration"
    })
@EnableConfigurationProperties(LeaderElectionProperties.class)
public final class LeaderElectionAutoConfiguration {

  /** Creates the auto-configuration; Spring does this. */
  public LeaderElectionAutoConfiguration() {}

  /**
   * {@code leaderelection.enabled=false}: elections that never lead, so that {@link LeaderOnly}
   * work is skipped everywhere instead of run everywhere, and beans that inject {@link
   * LeaderElection} still start. No Lease, no Kubernetes client.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "leaderelection.enabled", havingValue = false)
  static class DisabledConfiguration {
    @Bean
    @ConditionalOnMissingBean(LeaderElections.class)
    DisabledLeaderElections leaderElections(
        LeaderElectionProperties properties, Environment environment) {
      UnknownProperties.check(environment);
      return new DisabledLeaderElections(
          properties, environment.getProperty("spring.application.name"));
    }
  }

  /** {@code leaderelection.enabled=true} (the default): the elections. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "leaderelection.enabled", matchIfMissing = true)
  static class EnabledConfiguration {
    // The concrete return type lets the context find this SmartLifecycle before creating it (as
    // with spring.main.lazy-initialization); the back-off is on the interface.
    @Bean
    @ConditionalOnMissingBean(LeaderElections.class)
    ManagedLeaderElections leaderElections(
        LeaderElectionProperties properties,
        Environment environment,
        ObjectProvider<LeaseLockFactory> lockFactory,
        ObjectProvider<LeaderElectorCustomizer> customizers,
        ObjectProvider<ManagedLeaderElections.StartupCheck> checks,
        ApplicationEventPublisher publisher,
        ConfigurableListableBeanFactory beans) {
      UnknownProperties.check(environment);
      SpringCloudKubernetesProperties.apply(environment, properties);
      var settings =
          ElectionSettings.resolve(
              properties,
              environment.getProperty("spring.application.name"),
              LeaseIdentity.defaultIdentity());
      LeaseLockFactory locks = lockFactory.getIfAvailable();
      if (locks == null && properties.getMode() == LeaderElectionProperties.Mode.KUBERNETES) {
        KubernetesClientChoice choice =
            KubernetesClientChoice.decide(environment, beans.getBeanClassLoader(), beans);
        if (choice.client() == null) {
          throw new LeaderElectionStartupException(choice.reason(), choice.action());
        }
      }
      if (locks == null) {
        throw new LeaderElectionStartupException(
            "Leader election in mode "
                + properties.getMode().name().toLowerCase(java.util.Locale.ROOT)
                + " has no LeaseLockFactory: the Kubernetes backend needs"
                + " dev.leaderelection:leaderelection-fabric8 and a fabric8 kubernetes-client with an"
                + " HTTP client implementation on the classpath.",
            "Keep the dependencies leaderelection-spring brings, define a LeaseLockFactory bean, or"
                + " set leaderelection.mode=local to run without a cluster.");
      }
      return new ManagedLeaderElections(
          settings,
          locks,
          customizers.orderedStream().toList(),
          publisher,
          checks.orderedStream().toList(),
          properties.getMode());
    }
  }

  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnPrimaryElection.class)
  LeaderElection leaderElection(LeaderElections elections) {
    return elections
        .primary()
        .orElseThrow(
            () ->
                new LeaderElectionStartupException(
                    "There is no primary leader election among " + elections.all() + ".",
                    "Name one of the elections under leaderelection.elections 'default'."));
  }

  @Bean
  static LeaderOnlyMethods leaderOnlyMethods(
      ObjectProvider<LeaderElections> elections, ObjectProvider<LeaderElection> primary) {
    Function<String, LeaderElection> resolver =
        name -> {
          if (name.isEmpty()) {
            LeaderElection own = primary.getIfUnique();
            if (own != null) {
              return own;
            }
          }
          return ManagedLeaderElections.resolve(elections.getObject(), name);
        };
    return new LeaderOnlyMethods(resolver);
  }

  @Bean
  LeaderOnlySchedulingCheck leaderOnlySchedulingCheck(
      LeaderOnlyMethods methods, ListableBeanFactory beans) {
    return new LeaderOnlySchedulingCheck(methods, beans);
  }

  /** Matches when there is one election, or one named {@code default}. */
  static final class OnPrimaryElection extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(
        ConditionContext context, AnnotatedTypeMetadata metadata) {
      // Only the names matter here; invalid values are reported when the properties are bound.
      Map<String, Object> named =
          Binder.get(context.getEnvironment())
              .bind("leaderelection.elections", Bindable.mapOf(String.class, Object.class))
              .orElse(null);
      if (named == null || named.isEmpty()) {
        return ConditionOutcome.match("a single election, named default");
      }
      if (named.containsKey(LeaderElectionProperties.DEFAULT_ELECTION) || named.size() == 1) {
        return ConditionOutcome.match("an election named default, or only one");
      }
      return ConditionOutcome.noMatch(
          "several elections " + named.keySet() + " and none named default");
    }
  }

  /** Local mode: in-memory leases, no cluster. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "leaderelection.enabled", matchIfMissing = true)
  @ConditionalOnProperty(name = "leaderelection.mode", havingValue = "local")
  static class LocalConfiguration {
    @Bean
    @ConditionalOnMissingBean
    LeaseLockFactory localLeaseLockFactory() {
      return new LocalLeaseLockFactory();
    }
  }

  /**
   * Matches when {@link KubernetesClientChoice} picks the client of the subclass. Evaluated when
   * bean definitions are registered, so that the application's client beans are known.
   */
  abstract static class OnChosenClient extends SpringBootCondition
      implements ConfigurationCondition {
    private final LeaderElectionProperties.Client client;

    OnChosenClient(LeaderElectionProperties.Client client) {
      this.client = client;
    }

    @Override
    public ConfigurationPhase getConfigurationPhase() {
      return ConfigurationPhase.REGISTER_BEAN;
    }

    @Override
    public ConditionOutcome getMatchOutcome(
        ConditionContext context, AnnotatedTypeMetadata metadata) {
      KubernetesClientChoice choice =
          KubernetesClientChoice.decide(
              context.getEnvironment(), context.getClassLoader(), context.getBeanFactory());
      String message = "Kubernetes client " + choice.client() + ": " + choice.reason();
      return choice.client() == client
          ? ConditionOutcome.match(message)
          : ConditionOutcome.noMatch(message);
    }
  }

  /** fabric8 is the chosen client. */
  static final class OnFabric8 extends OnChosenClient {
    OnFabric8() {
      super(LeaderElectionProperties.Client.FABRIC8);
    }
  }

  /** client-java is the chosen client. */
  static final class OnClientJava extends OnChosenClient {
    OnClientJava() {
      super(LeaderElectionProperties.Client.CLIENT_JAVA);
    }
  }

  private static void logChoice(Environment environment, ConfigurableListableBeanFactory beans) {
    KubernetesClientChoice choice =
        KubernetesClientChoice.decide(environment, beans.getBeanClassLoader(), beans);
    LoggerFactory.getLogger(LeaderElectionAutoConfiguration.class)
        .info(
            "Leader election: Leases through {}, because {}",
            choice.client() == null ? "no client" : choice.client().value(),
            choice.reason());
  }

  /** Kubernetes mode: Leases through the fabric8 client. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "leaderelection.enabled", matchIfMissing = true)
  @ConditionalOnProperty(
      name = "leaderelection.mode",
      havingValue = "kubernetes",
      matchIfMissing = true)
  @ConditionalOnClass({KubernetesClient.class, KubernetesLeaseLock.class})
  @Conditional(OnFabric8.class)
  static class KubernetesConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    KubernetesClient kubernetesClient() {
      return new KubernetesClientBuilder().build();
    }

    @Bean
    @ConditionalOnMissingBean
    LeaseLockFactory kubernetesLeaseLockFactory(
        KubernetesClient client, Environment environment, ConfigurableListableBeanFactory beans) {
      logChoice(environment, beans);
      return new KubernetesLeaseLockFactory(client);
    }

    @Bean
    ManagedLeaderElections.StartupCheck leaseRbacSelfCheck(LeaderElectionProperties properties) {
      return new RbacSelfCheck(properties.getRbacCheck());
    }
  }

  /**
   * Kubernetes mode: Leases through client-java's {@code ApiClient}, the application's or the lock
   * factory's own.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "leaderelection.enabled", matchIfMissing = true)
  @ConditionalOnProperty(
      name = "leaderelection.mode",
      havingValue = "kubernetes",
      matchIfMissing = true)
  @ConditionalOnClass(
      name = {KubernetesClientChoice.API_CLIENT, KubernetesClientChoice.CLIENT_JAVA_LOCK})
  @Conditional(OnClientJava.class)
  static class ClientJavaConfiguration {

    @Bean
    @ConditionalOnMissingBean
    LeaseLockFactory clientJavaLeaseLockFactory(
        ObjectProvider<ApiClient> apiClient,
        Environment environment,
        ConfigurableListableBeanFactory beans) {
      logChoice(environment, beans);
      ApiClient own = apiClient.getIfAvailable();
      return own != null
          ? ClientJavaLeaseLockFactory.of(own)
          : ClientJavaLeaseLockFactory.withDefaultClient();
    }

    @Bean
    ManagedLeaderElections.StartupCheck leaseRbacSelfCheck(LeaderElectionProperties properties) {
      return new RbacSelfCheck(properties.getRbacCheck());
    }
  }

  /** Health, with Spring Boot's health module. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class HealthConfiguration {

    /** Nested so that its condition is only read when the health module is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnEnabledHealthIndicator("leaderelection")
    static class LeaderElectionHealthConfiguration {
      @Bean
      @ConditionalOnMissingBean(name = "leaderElectionHealthIndicator")
      HealthIndicator leaderElectionHealthIndicator(
          LeaderElections elections, LeaderElectionProperties properties) {
        return new LeaderElectionHealthIndicator(elections, properties.isHealthDownOnError());
      }
    }
  }

  /** {@code /actuator/info}, with Spring Boot's actuator. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(InfoContributor.class)
  static class InfoConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "leaderElectionInfoContributor")
    InfoContributor leaderElectionInfoContributor(LeaderElections elections) {
      return new LeaderElectionInfoContributor(elections);
    }
  }

  /** Meters, with Micrometer. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterBinder.class)
  static class MetricsConfiguration {
    @Bean
    @ConditionalOnMissingBean
    LeaderElectionMeterBinder leaderElectionMeterBinder() {
      return new LeaderElectionMeterBinder();
    }
  }

  /** Spring Integration's leader events. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(LeaderEventPublisher.class)
  static class IntegrationConfiguration {
    @Bean
    @ConditionalOnMissingBean
    IntegrationLeaderEvents integrationLeaderEvents(
        ObjectProvider<LeaderEventPublisher> publisher, ApplicationEventPublisher events) {
      return new IntegrationLeaderEvents(
          publisher.getIfUnique(() -> new DefaultLeaderEventPublisher(events)));
    }
  }
}
