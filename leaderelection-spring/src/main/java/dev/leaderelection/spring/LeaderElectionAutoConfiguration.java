package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import java.util.function.Function;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
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
 *   <li>{@link LeaseLockFactory}: Kubernetes Leases through the {@code KubernetesClient} bean, or
 *       in-memory leases with {@code leaderelection.mode=local};
 *   <li>{@code KubernetesClient} (fabric8), configured as fabric8 does by default (in-cluster
 *       service account, else kubeconfig), closed with the context;
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
@AutoConfiguration
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
        ApplicationEventPublisher publisher) {
      UnknownProperties.check(environment);
      SpringCloudKubernetesProperties.apply(environment, properties);
      var settings =
          ElectionSettings.resolve(
              properties,
              environment.getProperty("spring.application.name"),
              LeaseIdentity.defaultIdentity());
      LeaseLockFactory locks = lockFactory.getIfAvailable();
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

  /** Kubernetes mode: Leases through the fabric8 client. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "leaderelection.enabled", matchIfMissing = true)
  @ConditionalOnProperty(
      name = "leaderelection.mode",
      havingValue = "kubernetes",
      matchIfMissing = true)
  @ConditionalOnClass({KubernetesClient.class, KubernetesLeaseLock.class})
  static class KubernetesConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    KubernetesClient kubernetesClient() {
      return new KubernetesClientBuilder().build();
    }

    @Bean
    @ConditionalOnMissingBean
    LeaseLockFactory kubernetesLeaseLockFactory(KubernetesClient client) {
      return new KubernetesLeaseLockFactory(client);
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
