package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.core.InMemoryLease;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.leader.event.LeaderEventPublisher;

/**
 * The auto-configuration with {@link ApplicationContextRunner}: defaults, overrides, backing off to
 * the application's beans, invalid settings, and each optional integration missing. Elections that
 * must not reach a cluster use an unreachable client (the election keeps failing quietly in the
 * background) or local mode.
 */
class LeaderElectionAutoConfigurationTest {

  /** An API server address that refuses connections at once. */
  static final String NOWHERE = "https://127.0.0.1:1";

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LeaderElectionAutoConfiguration.class));

  /**
   * A context in Kubernetes mode whose client reaches no server, with the RBAC check off. Without
   * release on shutdown: a candidate that cannot reach the server spends up to renew-deadline
   * trying to release on close.
   */
  private ApplicationContextRunner offline() {
    return offlineReleasing().withPropertyValues("leaderelection.release-on-shutdown=false");
  }

  private ApplicationContextRunner offlineReleasing() {
    return runner
        .withUserConfiguration(UnreachableClient.class)
        .withPropertyValues("leaderelection.rbac-check=off", "leaderelection.namespace=team-a");
  }

  @Configuration(proxyBeanMethods = false)
  static class UnreachableClient {
    @Bean(destroyMethod = "close")
    KubernetesClient userClient() {
      Config config =
          new ConfigBuilder(Config.empty())
              .withMasterUrl(NOWHERE)
              .withRequestRetryBackoffLimit(0)
              .build();
      return new KubernetesClientBuilder().withConfig(config).build();
    }
  }

  // ---- defaults ----------------------------------------------------------------------------

  @Test
  void defaultsElectOneLeaseNamedAfterTheApplicationWithClientGoTimings() {
    offlineReleasing()
        .withPropertyValues("spring.application.name=Billing_Service")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(LeaderElections.class);
              assertThat(ctx).hasSingleBean(LeaderElection.class);
              assertThat(ctx).hasSingleBean(LeaseLockFactory.class);
              assertThat(ctx.getBean(LeaseLockFactory.class))
                  .isInstanceOf(KubernetesLeaseLockFactory.class);
              LeaderElection e = ctx.getBean(LeaderElection.class);
              assertThat(e.name()).isEqualTo("default");
              assertThat(e.leaseName()).isEqualTo("billing-service");
              assertThat(e.namespace()).contains("team-a");
              assertThat(e.identity()).matches(".+_[0-9a-f]{8}");
              assertThat(ctx.getBean(LeaderElections.class).all()).containsExactly(e);

              ManagedLeaderElection m = (ManagedLeaderElection) e;
              assertThat(m.lock()).isInstanceOf(KubernetesLeaseLock.class);
              assertThat(m.lock().description()).isEqualTo("lease team-a/billing-service");
              LeaderElector elector = m.elector();
              assertThat(elector.config().leaseDuration()).isEqualTo(Duration.ofSeconds(15));
              assertThat(elector.config().renewDeadline()).isEqualTo(Duration.ofSeconds(10));
              assertThat(elector.config().retryPeriod()).isEqualTo(Duration.ofSeconds(2));
              assertThat(elector.config().releaseOnClose()).isTrue();
              assertThat(elector.config().rejoinAfterLoss()).isTrue();
              assertThat(elector.state()).isEqualTo(LeaderElector.State.STARTED);
              assertThat(e.isLeader()).isFalse();
            });
  }

  @Test
  void createsAKubernetesClientWhenTheApplicationHasNone() {
    runner
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.namespace=team-a",
            "leaderelection.release-on-shutdown=false",
            "leaderelection.rbac-check=off")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(KubernetesClient.class);
              assertThat(ctx).hasBean("kubernetesClient");
            });
  }

  @Test
  void processesHaveDistinctIdentitiesByDefault() {
    offline()
        .withPropertyValues("spring.application.name=app")
        .run(
            first ->
                offline()
                    .withPropertyValues("spring.application.name=app")
                    .run(
                        second ->
                            assertThat(first.getBean(LeaderElection.class).identity())
                                .isNotEqualTo(second.getBean(LeaderElection.class).identity())));
  }

  @Test
  void disabledKeepsElectionsThatNeverLeadButNoLeaseAndNoClient() {
    runner
        .withPropertyValues("spring.application.name=app", "leaderelection.enabled=false")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(LeaderElections.class);
              assertThat(ctx).hasSingleBean(LeaderElection.class);
              assertThat(ctx).doesNotHaveBean(LeaseLockFactory.class);
              assertThat(ctx).doesNotHaveBean(KubernetesClient.class);
              LeaderElection e = ctx.getBean(LeaderElection.class);
              assertThat(e.leaseName()).isEqualTo("app");
              assertThat(e.isLeader()).isFalse();
              assertThat(e.currentLeader()).isEmpty();
              HealthIndicator health =
                  ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class);
              assertThat(
                      String.valueOf(
                          java.util.Objects.requireNonNull(health.health())
                              .getDetails()
                              .get("default")))
                  .contains("role=disabled");
            });
  }

  @Test
  void theLifecyclePhaseIsBetweenTheDefaultPhaseAndGracefulShutdown() {
    offline()
        .withPropertyValues("spring.application.name=app")
        .run(
            ctx -> {
              ManagedLeaderElections e =
                  (ManagedLeaderElections) ctx.getBean(LeaderElections.class);
              int gracefulShutdown =
                  org.springframework.context.SmartLifecycle.DEFAULT_PHASE - 1024;
              assertThat(e.getPhase())
                  .isEqualTo(LeaderElections.PHASE)
                  .isGreaterThan(gracefulShutdown)
                  .isLessThan(org.springframework.context.SmartLifecycle.DEFAULT_PHASE);
              assertThat(e.isAutoStartup()).isTrue();
              assertThat(e.isRunning()).isTrue();
            });
  }

  // ---- overrides ---------------------------------------------------------------------------

  @Test
  void propertiesOverrideTheDefaults() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.lease-name=jobs",
            "leaderelection.namespace=ops",
            "leaderelection.identity=pod-1",
            "leaderelection.lease-duration=20s",
            "leaderelection.renew-deadline=12s",
            "leaderelection.retry-period=3s",
            "leaderelection.release-on-shutdown=false",
            "leaderelection.rejoin-after-loss=false")
        .run(
            ctx -> {
              ManagedLeaderElection e = (ManagedLeaderElection) ctx.getBean(LeaderElection.class);
              assertThat(e.leaseName()).isEqualTo("jobs");
              assertThat(e.namespace()).contains("ops");
              assertThat(e.identity()).isEqualTo("pod-1");
              var c = e.elector().config();
              assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(20));
              assertThat(c.renewDeadline()).isEqualTo(Duration.ofSeconds(12));
              assertThat(c.retryPeriod()).isEqualTo(Duration.ofSeconds(3));
              assertThat(c.releaseOnClose()).isFalse();
              assertThat(c.rejoinAfterLoss()).isFalse();
              assertThat(new LeaderElectionProperties().isReleaseOnShutdown()).isTrue();
            });
  }

  @Test
  void namedElectionsInheritTheTopLevelSettingsAndOverrideTheirOwn() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.lease-duration=20s",
            "leaderelection.identity=pod-1",
            "leaderelection.elections.billing.lease-name=billing-jobs",
            "leaderelection.elections.billing.namespace=finance",
            "leaderelection.elections.reports.lease-duration=30s",
            "leaderelection.elections.reports.renew-deadline=20s",
            "leaderelection.elections.reports.identity=reporter-1")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              LeaderElections all = ctx.getBean(LeaderElections.class);
              assertThat(all.all())
                  .extracting(LeaderElection::name)
                  .containsExactly("billing", "reports");
              // Several elections, none named default: no LeaderElection bean, no primary.
              assertThat(ctx).doesNotHaveBean(LeaderElection.class);
              assertThat(all.primary()).isEmpty();

              ManagedLeaderElection billing = (ManagedLeaderElection) all.get("billing");
              assertThat(billing.leaseName()).isEqualTo("billing-jobs");
              assertThat(billing.namespace()).contains("finance");
              assertThat(billing.identity()).isEqualTo("pod-1");
              assertThat(billing.elector().config().leaseDuration())
                  .isEqualTo(Duration.ofSeconds(20));

              ManagedLeaderElection reports = (ManagedLeaderElection) all.get("reports");
              assertThat(reports.leaseName()).isEqualTo("app-reports");
              assertThat(reports.namespace()).contains("team-a");
              assertThat(reports.identity()).isEqualTo("reporter-1");
              assertThat(reports.elector().config().leaseDuration())
                  .isEqualTo(Duration.ofSeconds(30));
              assertThat(reports.elector().config().renewDeadline())
                  .isEqualTo(Duration.ofSeconds(20));

              assertThatThrownBy(() -> all.get("nope"))
                  .hasMessageContaining("No leader election named 'nope'")
                  .hasMessageContaining("[billing, reports]");
            });
  }

  @Test
  void aNamedElectionCalledDefaultIsThePrimaryAndTakesTheTopLevelLeaseName() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.elections.default.retry-period=1s",
            "leaderelection.elections.cleanup.lease-duration=15s")
        .run(
            ctx -> {
              LeaderElection primary = ctx.getBean(LeaderElection.class);
              assertThat(primary.name()).isEqualTo("default");
              assertThat(primary.leaseName()).isEqualTo("app");
              assertThat(ctx.getBean(LeaderElections.class).get("cleanup").leaseName())
                  .isEqualTo("app-cleanup");
            });
  }

  // ---- backing off -------------------------------------------------------------------------

  @Test
  void usesTheApplicationsKubernetesClient() {
    offline()
        .withPropertyValues("spring.application.name=app")
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(KubernetesClient.class);
              assertThat(ctx).hasBean("userClient").doesNotHaveBean("kubernetesClient");
              assertThat(ctx.getBean(LeaseLockFactory.class).toString()).contains(NOWHERE);
            });
  }

  @Test
  void withoutAConfiguredNamespaceTheElectionReportsTheOneItsKubernetesLockResolved() {
    runner
        .withBean(
            "userClient",
            KubernetesClient.class,
            () ->
                new KubernetesClientBuilder()
                    .withConfig(
                        new ConfigBuilder(Config.empty())
                            .withMasterUrl(NOWHERE)
                            .withNamespace("from-kubeconfig")
                            .withRequestRetryBackoffLimit(0)
                            .build())
                    .build())
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.rbac-check=off",
            "leaderelection.release-on-shutdown=false")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              LeaderElection e = ctx.getBean(LeaderElection.class);
              assertThat(e.namespace()).contains("from-kubeconfig");
              assertThat(e.toString()).contains("lease=from-kubeconfig/app");
            });
  }

  @Test
  void anotherBackendsLockReportsTheConfiguredNamespaceWhateverItsDescriptionSays() {
    InMemoryLease lease = new InMemoryLease("custom");
    runner
        .withPropertyValues("spring.application.name=app", "leaderelection.namespace=team-a")
        .withBean(
            LeaseLockFactory.class,
            () -> request -> describedAs("lease elsewhere/other", lease.lock(request.identity())))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              LeaderElection e = ctx.getBean(LeaderElection.class);
              assertThat(e.namespace()).contains("team-a");
              assertThat(e.toString()).contains("lease=team-a/app");
            });
  }

  /** {@return {@code lock}, describing itself as {@code description}} */
  private static LeaseLock describedAs(String description, LeaseLock lock) {
    return new LeaseLock() {
      @Override
      public String identity() {
        return lock.identity();
      }

      @Override
      public String description() {
        return description;
      }

      @Override
      public CompletionStage<Optional<LeaseRecord>> get(Duration timeout) {
        return lock.get(timeout);
      }

      @Override
      public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
        return lock.create(record, timeout);
      }

      @Override
      public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
        return lock.update(record, timeout);
      }
    };
  }

  @Test
  void usesTheApplicationsLeaseLockFactory() {
    InMemoryLease lease = new InMemoryLease("custom");
    runner
        .withPropertyValues("spring.application.name=app")
        .withBean(LeaseLockFactory.class, () -> request -> lease.lock(request.identity()))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(LeaseLockFactory.class);
              assertThat(ctx).doesNotHaveBean("kubernetesLeaseLockFactory");
              LeaderElection e = ctx.getBean(LeaderElection.class);
              assertThat(e.awaitLeadership(Duration.ofSeconds(5))).isPresent();
              assertThat(lease.current())
                  .get()
                  .extracting(r -> r.holderIdentity())
                  .isEqualTo(e.identity());
            });
  }

  @Test
  void backsOffToTheApplicationsLeaderElections() {
    LeaderElection fixed = new FixedElection("mine", true);
    LeaderElections own =
        new LeaderElections() {
          @Override
          public LeaderElection get(String name) {
            return fixed;
          }

          @Override
          public List<LeaderElection> all() {
            return List.of(fixed);
          }

          @Override
          public Optional<LeaderElection> primary() {
            return Optional.of(fixed);
          }
        };
    offline()
        .withPropertyValues("spring.application.name=app")
        .withBean(LeaderElections.class, () -> own)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(LeaderElections.class)).isSameAs(own);
              assertThat(ctx.getBean(LeaderElection.class)).isSameAs(fixed);
            });
  }

  @Test
  void backsOffToTheApplicationsLeaderElection() {
    LeaderElection fixed = new FixedElection("mine", true);
    offline()
        .withPropertyValues("spring.application.name=app")
        .withBean(LeaderElection.class, () -> fixed)
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(LeaderElection.class);
              assertThat(ctx.getBean(LeaderElection.class)).isSameAs(fixed);
              assertThat(ctx).hasSingleBean(LeaderElections.class);
            });
  }

  @Test
  void backsOffToTheApplicationsHealthIndicatorAndMeterBinderAndIntegrationBridge() {
    HealthIndicator own = () -> org.springframework.boot.health.contributor.Health.up().build();
    offline()
        .withPropertyValues("spring.application.name=app")
        .withBean("leaderElectionHealthIndicator", HealthIndicator.class, () -> own)
        .withBean(LeaderElectionMeterBinder.class, LeaderElectionMeterBinder::new)
        .run(
            ctx -> {
              assertThat(ctx.getBean("leaderElectionHealthIndicator")).isSameAs(own);
              assertThat(ctx).hasSingleBean(LeaderElectionMeterBinder.class);
            });
  }

  @Test
  void customizersAdjustEveryElector() {
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.elections.a.lease-name=a",
            "leaderelection.elections.b.lease-name=b")
        .withBean(
            LeaderElectorCustomizer.class,
            () -> (election, builder) -> seen.add(election.name() + "@" + election.leaseName()))
        .run(ctx -> assertThat(seen).containsExactly("a@a", "b@b"));
  }

  // ---- invalid settings --------------------------------------------------------------------

  @Test
  void noLeaseNameAndNoApplicationNameStopsTheStartUpSayingWhatToSet() {
    offline()
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              Throwable failure = ctx.getStartupFailure();
              assertThat(failure)
                  .rootCause()
                  .isInstanceOf(LeaderElectionStartupException.class)
                  .hasMessageContaining("has no Lease name")
                  .hasMessageContaining("spring.application.name")
                  .hasMessageContaining("leaderelection.lease-name");
              FailureAnalysis analysis =
                  java.util.Objects.requireNonNull(
                      new LeaderElectionFailureAnalyzer()
                          .analyze(java.util.Objects.requireNonNull(failure)));
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription())
                  .isEqualTo(
                      "Leader election 'default' has no Lease name: neither"
                          + " leaderelection.lease-name nor spring.application.name is set.");
              assertThat(analysis.getAction())
                  .startsWith("Set spring.application.name, or leaderelection.lease-name");
            });
  }

  @Test
  void inconsistentDurationsNameThePropertiesAndTheRule() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.lease-duration=10s",
            "leaderelection.renew-deadline=10s")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("leaseDuration must be greater than renewDeadline"))
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "Invalid timing for leader election 'default':"
                            + " leaderelection.lease-duration must be greater than"
                            + " leaderelection.renew-deadline; got"
                            + " leaderelection.lease-duration=10s,"
                            + " leaderelection.renew-deadline=10s"));
  }

  @Test
  void bareNumbersAreSecondsForEveryDuration() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.lease-duration=20",
            "leaderelection.renew-deadline=12",
            "leaderelection.retry-period=2",
            "leaderelection.elections.default.lease-name=app",
            "leaderelection.elections.jobs.lease-duration=30",
            "leaderelection.elections.jobs.renew-deadline=20",
            "leaderelection.elections.jobs.retry-period=4")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              var top =
                  ((ManagedLeaderElection) ctx.getBean(LeaderElections.class).get("default"))
                      .elector()
                      .config();
              assertThat(top.leaseDuration()).isEqualTo(Duration.ofSeconds(20));
              assertThat(top.renewDeadline()).isEqualTo(Duration.ofSeconds(12));
              assertThat(top.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
              var jobs =
                  ((ManagedLeaderElection) ctx.getBean(LeaderElections.class).get("jobs"))
                      .elector()
                      .config();
              assertThat(jobs.leaseDuration()).isEqualTo(Duration.ofSeconds(30));
              assertThat(jobs.renewDeadline()).isEqualTo(Duration.ofSeconds(20));
              assertThat(jobs.retryPeriod()).isEqualTo(Duration.ofSeconds(4));
            });
  }

  @Test
  void aRetryPeriodBelowTheFloorIsRefusedNamingThePropertyTheValueAndTheWriteRate() {
    offline()
        .withPropertyValues("spring.application.name=app", "leaderelection.retry-period=2ms")
        .run(
            ctx -> {
              Throwable failure = ctx.getStartupFailure();
              assertThat(failure).isNotNull();
              FailureAnalysis analysis =
                  java.util.Objects.requireNonNull(
                      new LeaderElectionFailureAnalyzer()
                          .analyze(java.util.Objects.requireNonNull(failure)));
              assertThat(analysis.getDescription())
                  .isEqualTo(
                      "Invalid timing for leader election 'default': leaderelection.retry-period"
                          + " must be at least 100ms; got 2ms, which would make the leader write"
                          + " the Lease about 500 times a second (and every candidate without a"
                          + " watch read it as often). Use 2s (the default) unless you need"
                          + " faster hand-over; a bare number given as milliseconds is the usual"
                          + " cause.");
              assertThat(analysis.getAction()).contains("retry-period at least 100ms");
            });
  }

  private static FailureAnalysis analysisOf(
      org.springframework.boot.test.context.assertj.AssertableApplicationContext ctx) {
    Throwable failure = ctx.getStartupFailure();
    assertThat(failure).isNotNull();
    return java.util.Objects.requireNonNull(
        new LeaderElectionFailureAnalyzer().analyze(java.util.Objects.requireNonNull(failure)));
  }

  @Test
  void aMisspelledPropertyStopsTheStartUpNamingTheNearestValidOne() {
    offline()
        .withPropertyValues("spring.application.name=app", "leaderelection.lease-duraton=20s")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .startsWith("The property leaderelection.lease-duraton (")
                  .endsWith(
                      ") is not a leader election setting; Spring Boot would ignore it and the"
                          + " setting meant would keep its default.");
              assertThat(a.getAction())
                  .startsWith(
                      "Did you mean leaderelection.lease-duration? Fix or remove"
                          + " leaderelection.lease-duraton;");
            });
    offline()
        .withPropertyValues("spring.application.name=app", "leaderelection.rbac-chek=warn")
        .run(
            ctx ->
                assertThat(analysisOf(ctx).getAction())
                    .startsWith("Did you mean leaderelection.rbac-check?"));
    offline()
        .withPropertyValues(
            "spring.application.name=app", "leaderelection.elections.jobs.lease-nme=jobs")
        .run(
            ctx ->
                assertThat(analysisOf(ctx).getAction())
                    .startsWith("Did you mean leaderelection.elections.jobs.lease-name?"));
  }

  @Test
  void aMisspelledPropertyIsRefusedAlsoWhenTheElectionIsDisabled() {
    runner
        .withPropertyValues("leaderelection.enabled=false", "leaderelection.mdoe=local")
        .run(
            ctx ->
                assertThat(analysisOf(ctx).getAction())
                    .startsWith("Did you mean leaderelection.mode?"));
  }

  @Test
  void relaxedSpellingsOfValidPropertiesAreAccepted() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.leaseDuration=20s",
            "leaderelection.renew_deadline=12s",
            "leaderelection.elections.default.leaseName=app",
            "leaderelection.elections.jobs.retryPeriod=1s")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              var c =
                  ((ManagedLeaderElection) ctx.getBean(LeaderElections.class).get("jobs"))
                      .elector()
                      .config();
              assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(20));
              assertThat(c.retryPeriod()).isEqualTo(Duration.ofSeconds(1));
            });
  }

  @Test
  void aFractionalLeaseDurationOfANamedElectionNamesItsProperty() {
    offline()
        .withPropertyValues(
            "spring.application.name=app", "leaderelection.elections.jobs.lease-duration=15500ms")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "leaderelection.elections.jobs.lease-duration must be a whole number of"
                            + " seconds"));
  }

  @Test
  void aRenewDeadlineTooCloseToTheRetryPeriodOfANamedElectionNamesItsProperties() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.elections.jobs.renew-deadline=2s",
            "leaderelection.elections.jobs.retry-period=2s")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "Invalid timing for leader election 'jobs':"
                            + " leaderelection.elections.jobs.renew-deadline must be greater than"
                            + " leaderelection.elections.jobs.retry-period*JitterFactor (1.2); got"
                            + " leaderelection.elections.jobs.renew-deadline=2s,"
                            + " leaderelection.elections.jobs.retry-period*1.2=2.4s."));
  }

  @Test
  void anInvalidLeaseNameIsRefusedButAnApplicationNameIsMadeValid() {
    offline()
        .withPropertyValues("leaderelection.lease-name=Not_A_Name")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "leaderelection.lease-name='Not_A_Name' is not a valid Lease name"));
    offline()
        .withPropertyValues("spring.application.name=-My App.-")
        .run(ctx -> assertThat(ctx.getBean(LeaderElection.class).leaseName()).isEqualTo("my-app"));
  }

  @Test
  void twoElectionsOfOneLeaseAreRefused() {
    offline()
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.elections.a.lease-name=shared",
            "leaderelection.elections.b.lease-name=shared")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "Leader elections 'a' and 'b' both compete for the Lease team-a/shared"));
  }

  @Test
  void anUnreadableDurationOfANamedElectionIsABindingErrorNamingTheProperty() {
    offline()
        .withPropertyValues(
            "spring.application.name=app", "leaderelection.elections.jobs.renew-deadline=soon")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining("leaderelection.elections.jobs.renew-deadline"));
  }

  @Test
  void anUnknownModeIsABindingError() {
    offline()
        .withPropertyValues("spring.application.name=app", "leaderelection.mode=cluster")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure()).hasStackTraceContaining("leaderelection.mode"));
  }

  @Test
  void withoutANamespaceOutsideAPodTheStartUpNamesTheNamespacePropertyAndLocalMode() {
    runner
        .withUserConfiguration(UnreachableClient.class)
        .withPropertyValues("spring.application.name=app", "leaderelection.rbac-check=off")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "Cannot set up the Lease 'app' of leader election 'default': it has no"
                          + " namespace. leaderelection.namespace is not set, this process does"
                          + " not run in a pod, and the Kubernetes client's configuration (the"
                          + " current kubeconfig context) names no namespace; there may be no"
                          + " cluster at all.")
                  .doesNotContain("builder");
              assertThat(a.getAction())
                  .isEqualTo(
                      "To elect in a cluster, set leaderelection.namespace, or a namespace in the"
                          + " current kubeconfig context. To run without a cluster (development,"
                          + " tests), set leaderelection.mode=local: this process then leads"
                          + " alone, with an in-memory lease.");
            });
  }

  @Test
  void withoutANamespaceANamedElectionNamesItsOwnPropertyAndLocalMode() {
    runner
        .withUserConfiguration(UnreachableClient.class)
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.rbac-check=off",
            "leaderelection.elections.jobs.lease-name=jobs")
        .run(
            ctx ->
                assertThat(analysisOf(ctx).getAction())
                    .startsWith(
                        "To elect in a cluster, set leaderelection.elections.jobs.namespace (or"
                            + " leaderelection.namespace)")
                    .contains("set leaderelection.mode=local"));
  }

  // ---- moving from Spring Cloud Kubernetes -------------------------------------------------

  private ApplicationContextRunner withoutNamespace() {
    return runner
        .withUserConfiguration(UnreachableClient.class)
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.rbac-check=off",
            "leaderelection.release-on-shutdown=false");
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void springCloudKubernetesLeaseElectionIsHonouredWithItsDefaultLeaseAndADeprecationWarning(
      CapturedOutput output) {
    withoutNamespace()
        .withPropertyValues("spring.cloud.kubernetes.leader.election.enabled=true")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              LeaderElection e = ctx.getBean(LeaderElection.class);
              assertThat(e.leaseName()).isEqualTo("spring-k8s-leader-election-lock");
              assertThat(e.namespace()).contains("default");
              assertThat(output)
                  .contains(
                      "Deprecated: Spring Cloud Kubernetes leader election properties"
                          + " (spring.cloud.kubernetes.leader.election.enabled=true). They are"
                          + " honoured so that this application competes for the Lease that"
                          + " instances still running Spring Cloud Kubernetes hold:"
                          + " leaderelection.lease-name=spring-k8s-leader-election-lock,"
                          + " leaderelection.namespace=default.");
            });
  }

  @Test
  void springCloudKubernetesLockNameNamespaceAndDurationsAreHonouredUnlessSetHere() {
    withoutNamespace()
        .withPropertyValues(
            "spring.cloud.kubernetes.leader.election.enabled=true",
            "spring.cloud.kubernetes.leader.election.lock-name=jobs-lock",
            "spring.cloud.kubernetes.leader.election.lock-namespace=ops",
            "spring.cloud.kubernetes.leader.election.lease-duration=20s",
            "spring.cloud.kubernetes.leader.election.renew-deadline=12s",
            "leaderelection.retry-period=3s",
            "spring.cloud.kubernetes.leader.election.retry-period=1s")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              ManagedLeaderElection e = (ManagedLeaderElection) ctx.getBean(LeaderElection.class);
              assertThat(e.leaseName()).isEqualTo("jobs-lock");
              assertThat(e.namespace()).contains("ops");
              assertThat(e.elector().config().leaseDuration()).isEqualTo(Duration.ofSeconds(20));
              assertThat(e.elector().config().renewDeadline()).isEqualTo(Duration.ofSeconds(12));
              assertThat(e.elector().config().retryPeriod()).isEqualTo(Duration.ofSeconds(3));
            });
  }

  @Test
  void springCloudKubernetesLeaseElectionSwitchedOffIsIgnored() {
    withoutNamespace()
        .withPropertyValues(
            "leaderelection.namespace=team-a",
            "spring.cloud.kubernetes.leader.election.enabled=false",
            "spring.cloud.kubernetes.leader.election.lock-name=old")
        .run(ctx -> assertThat(ctx.getBean(LeaderElection.class).leaseName()).isEqualTo("app"));
  }

  @Test
  void springCloudKubernetesConfigMapElectionIsRefusedSayingWhy() {
    withoutNamespace()
        .withPropertyValues(
            "spring.cloud.kubernetes.leader.config-map-name=leaders",
            "spring.cloud.kubernetes.leader.role=reports")
        .run(
            ctx -> {
              FailureAnalysis a = analysisOf(ctx);
              assertThat(a.getDescription())
                  .isEqualTo(
                      "Spring Cloud Kubernetes's ConfigMap leader election is configured"
                          + " (spring.cloud.kubernetes.leader.role=reports,"
                          + " spring.cloud.kubernetes.leader.config-map-name=leaders). Instances"
                          + " that still run it lead by a ConfigMap, which the Lease of this"
                          + " starter cannot exclude: during a rolling update both would lead.");
              assertThat(a.getAction())
                  .startsWith("Remove the spring.cloud.kubernetes.leader.* properties")
                  .contains("leaderelection.elections.<role>.*")
                  .contains("Recreate");
            });
  }

  // ---- a broken election -------------------------------------------------------------------

  private static final String[] FAST = {
    "spring.application.name=app",
    "leaderelection.lease-duration=1s",
    "leaderelection.renew-deadline=500ms",
    "leaderelection.retry-period=200ms"
  };

  @SuppressWarnings("unchecked")
  private static Map<String, Object> details(
      org.springframework.boot.health.contributor.Health health) {
    return (Map<String, Object>)
        java.util.Objects.requireNonNull(health.getDetails().get("default"));
  }

  private static org.springframework.boot.health.contributor.Health health(
      org.springframework.boot.test.context.assertj.AssertableApplicationContext ctx) {
    return java.util.Objects.requireNonNull(
        ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class).health());
  }

  @Test
  void anUnreachableApiServerShowsTheLastErrorAndSinceWhenButStaysUpByDefault() {
    offline()
        .withPropertyValues(FAST)
        .run(
            ctx -> {
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> details(health(ctx)).containsKey("error"));
              var h = health(ctx);
              assertThat(String.valueOf(details(h).get("error"))).startsWith("get: ");
              assertThat(Instant.parse(String.valueOf(details(h).get("failingSince"))))
                  .isBefore(Instant.now());
              assertThat(details(h)).containsEntry("role", "follower").containsEntry("leader", "");
              Thread.sleep(1500); // longer than the lease duration
              assertThat(health(ctx).getStatus())
                  .isEqualTo(org.springframework.boot.health.contributor.Status.UP);
            });
  }

  @Test
  void withHealthDownOnErrorAnElectionFailingLongerThanItsLeaseDurationIsDown() {
    offline()
        .withPropertyValues(FAST)
        .withPropertyValues("leaderelection.health-down-on-error=true")
        .run(
            ctx ->
                await()
                    .atMost(Duration.ofSeconds(10))
                    .until(
                        () ->
                            health(ctx)
                                .getStatus()
                                .equals(org.springframework.boot.health.contributor.Status.DOWN)));
  }

  // ---- optional integrations missing -------------------------------------------------------

  @Test
  void withTheHealthModuleThereIsAHealthIndicatorThatCanBeSwitchedOff() {
    offline()
        .withPropertyValues("spring.application.name=app")
        .run(ctx -> assertThat(ctx).hasBean("leaderElectionHealthIndicator"));
    offline()
        .withPropertyValues(
            "spring.application.name=app", "management.health.leaderelection.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean("leaderElectionHealthIndicator"));
  }

  @Test
  void worksWithoutTheHealthModule() {
    offline()
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
        .withPropertyValues("spring.application.name=app")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean("leaderElectionHealthIndicator");
              assertThat(ctx).hasSingleBean(LeaderElection.class);
            });
  }

  @Test
  void worksWithoutMicrometer() {
    offline()
        .withClassLoader(new FilteredClassLoader(MeterBinder.class))
        .withPropertyValues("spring.application.name=app")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(LeaderElectionMeterBinder.class);
              assertThat(ctx).hasSingleBean(LeaderElection.class);
            });
    offline()
        .withPropertyValues("spring.application.name=app")
        .run(ctx -> assertThat(ctx).hasSingleBean(LeaderElectionMeterBinder.class));
  }

  @Test
  void worksWithoutSpringIntegration() {
    offline()
        .withClassLoader(new FilteredClassLoader(LeaderEventPublisher.class))
        .withPropertyValues("spring.application.name=app")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(IntegrationLeaderEvents.class);
              assertThat(ctx).hasSingleBean(LeaderElection.class);
            });
    offline()
        .withPropertyValues("spring.application.name=app")
        .run(ctx -> assertThat(ctx).hasSingleBean(IntegrationLeaderEvents.class));
  }

  @Test
  void localModeWorksWithoutTheKubernetesClient() {
    runner
        .withClassLoader(new FilteredClassLoader(KubernetesClient.class))
        .withPropertyValues("spring.application.name=app", "leaderelection.mode=local")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(KubernetesClient.class);
              assertThat(ctx.getBean(LeaseLockFactory.class))
                  .isInstanceOf(LocalLeaseLockFactory.class);
            });
  }

  @Test
  void kubernetesModeWithoutAnyKubernetesClientSaysWhatIsMissing() {
    runner
        .withClassLoader(
            new FilteredClassLoader(
                KubernetesClient.class, io.kubernetes.client.openapi.ApiClient.class))
        .withPropertyValues("spring.application.name=app")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .hasStackTraceContaining("neither fabric8 nor client-java is on the class path")
                  .hasStackTraceContaining("leaderelection.mode=local");
            });
  }

  /** A {@link LeaderElection} with a fixed answer, as an application might define in a test. */
  record FixedElection(String name, boolean leader) implements LeaderElection {
    @Override
    public String leaseName() {
      return name;
    }

    @Override
    public Optional<String> namespace() {
      return Optional.empty();
    }

    @Override
    public String identity() {
      return "fixed";
    }

    @Override
    public boolean isLeader() {
      return leader;
    }

    @Override
    public Optional<String> currentLeader() {
      return leader ? Optional.of("fixed") : Optional.empty();
    }

    @Override
    public Optional<Leadership> currentLeadership() {
      return Optional.empty();
    }

    @Override
    public Optional<Leadership> awaitLeadership(Duration timeout) {
      return Optional.empty();
    }

    @Override
    public boolean yieldLeadership() {
      return false;
    }
  }
}
