package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.core.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The health indicator and the meters, on in-memory leases. */
class HealthAndMetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LeaderElectionAutoConfiguration.class))
          .withPropertyValues("spring.application.name=app", "leaderelection.mode=local");

  @Test
  void aLeaderIsUpWithItsRoleHolderAndLastRenewal() {
    runner.run(
        ctx -> {
          LeaderElection e = ctx.getBean(LeaderElection.class);
          assertThat(e.awaitLeadership(WAIT)).isPresent();
          Health health =
              health(ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class));
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          @SuppressWarnings("unchecked")
          Map<String, Object> details = (Map<String, Object>) health.getDetails().get("default");
          assertThat(details)
              .containsEntry("role", "leader")
              .containsEntry("leader", e.identity())
              .containsEntry("identity", e.identity())
              .containsEntry("lease", "app")
              .containsKey("lastRenewal");
        });
  }

  @Test
  void aFollowerIsUp() {
    LeaderOnlyTest.Leases leases = new LeaderOnlyTest.Leases();
    runner
        .withBean(LeaseLockFactory.class, () -> leases)
        .withPropertyValues("leaderelection.lease-name=theirs")
        .run(
            ctx -> {
              LeaderElection e = ctx.getBean(LeaderElection.class);
              await().atMost(WAIT).until(() -> e.currentLeader().isPresent());
              Health health =
                  health(ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class));
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails().get("default"))
                  .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                  .containsEntry("role", "follower")
                  .containsEntry("leader", "someone-else")
                  .doesNotContainKey("lastRenewal");
            });
  }

  @Test
  void anotherProcessWithThisIdentityShowsInTheHealthDetailsAndThisOneDoesNotLead() {
    LeaderOnlyTest.Leases leases = new LeaderOnlyTest.Leases();
    java.time.Instant earlier = java.time.Instant.now().minusSeconds(60);
    leases
        .lease("shared")
        .overwrite(
            new dev.leaderelection.core.LeaseRecord(
                "replica-0", 3600, earlier, earlier, 3, null, null, null));
    runner
        .withBean(LeaseLockFactory.class, () -> leases)
        .withPropertyValues("leaderelection.lease-name=shared", "leaderelection.identity=replica-0")
        .run(
            ctx -> {
              LeaderElection e = ctx.getBean(LeaderElection.class);
              HealthIndicator indicator =
                  ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class);
              await()
                  .atMost(WAIT)
                  .untilAsserted(
                      () ->
                          assertThat(health(indicator).getDetails().get("default"))
                              .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                              .containsKey("identityConflict"));
              Health health = health(indicator);
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails().get("default"))
                  .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                  .containsEntry("role", "follower")
                  .extractingByKey("identityConflict")
                  .asString()
                  .contains("give every replica its own identity");
              assertThat(e.isLeader()).isFalse();
            });
  }

  /**
   * A scheduler whose thread can be wedged, as a deadlocked or starved election thread would be.
   */
  static final class WedgeableScheduler implements Scheduler {
    final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    final CountDownLatch unwedge = new CountDownLatch(1);

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      ScheduledFuture<?> f =
          executor.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    }

    void wedge() {
      var unused =
          executor.submit(
              () -> {
                unwedge.await();
                return null;
              });
    }
  }

  @Test
  void aLeaderWhoseElectionIsStuckIsDownAfterTheLeaseDuration() {
    WedgeableScheduler scheduler = new WedgeableScheduler();
    try {
      runner
          .withPropertyValues(
              "leaderelection.lease-duration=2s",
              "leaderelection.renew-deadline=1s",
              "leaderelection.retry-period=200ms")
          .withBean(
              LeaderElectorCustomizer.class,
              () -> (election, builder) -> builder.scheduler(scheduler))
          .run(
              ctx -> {
                LeaderElection e = ctx.getBean(LeaderElection.class);
                HealthIndicator indicator =
                    ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class);
                assertThat(e.awaitLeadership(WAIT)).isPresent();
                assertThat(health(indicator).getStatus()).isEqualTo(Status.UP);

                scheduler.wedge();

                // isLeader() turns false at the renew deadline by the clock alone; health turns
                // DOWN once no renewal happened for the lease duration.
                await().atMost(WAIT).until(() -> !e.isLeader());
                await().atMost(WAIT).until(() -> health(indicator).getStatus().equals(Status.DOWN));
                assertThat(health(indicator).getDetails().get("default"))
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsEntry("role", "leader (not renewed)")
                    .containsKey("problem");

                scheduler.unwedge.countDown();

                await().atMost(WAIT).until(() -> health(indicator).getStatus().equals(Status.UP));
              });
    } finally {
      scheduler.unwedge.countDown();
      scheduler.executor.shutdownNow();
    }
  }

  @Test
  void theIndicatorIsInTheHealthEndpointButNotInTheLivenessOrReadinessGroups() {
    runner
        .withConfiguration(
            AutoConfigurations.of(
                ApplicationAvailabilityAutoConfiguration.class,
                EndpointAutoConfiguration.class,
                HealthContributorAutoConfiguration.class,
                HealthContributorRegistryAutoConfiguration.class,
                HealthEndpointAutoConfiguration.class,
                AvailabilityProbesAutoConfiguration.class))
        .withPropertyValues("management.endpoint.health.probes.enabled=true")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              HealthEndpointGroups groups = ctx.getBean(HealthEndpointGroups.class);
              assertThat(groups.getPrimary().isMember("leaderElection")).isTrue();
              assertThat(
                      java.util.Objects.requireNonNull(groups.get("liveness"))
                          .isMember("leaderElection"))
                  .isFalse();
              assertThat(
                      java.util.Objects.requireNonNull(groups.get("readiness"))
                          .isMember("leaderElection"))
                  .isFalse();
            });
  }

  @Test
  void actuatorInfoShowsEachElectionsLeaseLeaderAndRole() {
    runner.run(
        ctx -> {
          LeaderElection e = ctx.getBean(LeaderElection.class);
          assertThat(e.awaitLeadership(WAIT)).isPresent();
          var builder = new org.springframework.boot.actuate.info.Info.Builder();
          ctx.getBean(
                  "leaderElectionInfoContributor",
                  org.springframework.boot.actuate.info.InfoContributor.class)
              .contribute(builder);
          assertThat(builder.build().getDetails())
              .containsEntry(
                  "leaderelection",
                  Map.of(
                      "default", Map.of("lease", "app", "leader", e.identity(), "role", "leader")));
        });
  }

  @Test
  void withoutTheActuatorThereIsNoInfoContributor() {
    runner
        .withClassLoader(
            new org.springframework.boot.test.context.FilteredClassLoader(
                org.springframework.boot.actuate.info.InfoContributor.class))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean("leaderElectionInfoContributor");
            });
  }

  @Test
  void localModeIsVisibleInTheHealthDetails() {
    runner.run(
        ctx -> {
          Health health =
              health(ctx.getBean("leaderElectionHealthIndicator", HealthIndicator.class));
          @SuppressWarnings("unchecked")
          Map<String, Object> details = (Map<String, Object>) health.getDetails().get("default");
          assertThat(details)
              .containsEntry("mode", "local")
              .containsEntry(
                  "warning",
                  "leaderelection.mode=local: an in-memory lease that this process always wins;"
                      + " no election takes place, every instance leads");
        });
  }

  @Test
  void everyDocumentedMeterIsRegisteredAtStartBeforeItsFirstEvent() {
    runner
        .withConfiguration(
            AutoConfigurations.of(
                MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class))
        .run(
            ctx -> {
              MeterRegistry registry = ctx.getBean(MeterRegistry.class);
              for (String name :
                  java.util.List.of(
                      "leaderelection.leader",
                      "leaderelection.transitions",
                      "leaderelection.losses",
                      "leaderelection.renew.latency",
                      "leaderelection.attempts",
                      "leaderelection.conflicts",
                      "leaderelection.errors",
                      "leaderelection.identity.conflicts")) {
                assertThat(registry.find(name).tag("lease", "app").meters()).as(name).isNotEmpty();
              }
              // Local mode never fails a call nor meets another writer: these exist at zero.
              assertThat(
                      registry
                          .get("leaderelection.errors")
                          .tags("lease", "app", "operation", "update", "reason", "forbidden")
                          .counter()
                          .count())
                  .isZero();
              assertThat(
                      registry
                          .get("leaderelection.identity.conflicts")
                          .tag("lease", "app")
                          .counter()
                          .count())
                  .isZero();
            });
  }

  @Test
  void metersAreBoundToTheRegistryWithTheLeaseTag() {
    runner
        .withConfiguration(
            AutoConfigurations.of(
                MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class))
        .withPropertyValues(
            "leaderelection.elections.default.lease-name=app",
            "leaderelection.elections.jobs.lease-name=jobs")
        .run(
            ctx -> {
              LeaderElections elections = ctx.getBean(LeaderElections.class);
              assertThat(elections.get("default").awaitLeadership(WAIT)).isPresent();
              assertThat(elections.get("jobs").awaitLeadership(WAIT)).isPresent();
              MeterRegistry registry = ctx.getBean(MeterRegistry.class);
              assertThat(registry.get("leaderelection.leader").tag("lease", "app").gauge().value())
                  .isEqualTo(1.0);
              assertThat(registry.get("leaderelection.leader").tag("lease", "jobs").gauge().value())
                  .isEqualTo(1.0);
              assertThat(
                      registry
                          .get("leaderelection.transitions")
                          .tag("lease", "app")
                          .counter()
                          .count())
                  .isEqualTo(1.0);
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          registry.find("leaderelection.renew.latency").tag("lease", "app").timer()
                              != null);

              elections.get("default").yieldLeadership();

              assertThat(registry.get("leaderelection.leader").tag("lease", "app").gauge().value())
                  .isZero();
              // The term ends on the caller's thread; listeners hear of it on the election's
              // thread right after.
              await()
                  .atMost(WAIT)
                  .untilAsserted(
                      () ->
                          assertThat(
                                  registry
                                      .get("leaderelection.losses")
                                      .tags("lease", "app", "reason", "yielded")
                                      .counter()
                                      .count())
                              .isEqualTo(1.0));
            });
  }

  private static Health health(HealthIndicator indicator) {
    return java.util.Objects.requireNonNull(indicator.health());
  }
}
