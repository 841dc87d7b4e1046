package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.core.InMemoryLease;
import dev.leaderelection.core.LeaseRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.test.util.AopTestUtils;

/** {@link LeaderOnly} on {@code @Scheduled} methods, with Spring Boot's task scheduler. */
@ExtendWith(OutputCaptureExtension.class)
class LeaderOnlyTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Two Leases: "mine" is free, "theirs" is held by another process for a long time. */
  private final Leases leases = new Leases();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  LeaderElectionAutoConfiguration.class, TaskSchedulingAutoConfiguration.class))
          .withBean(LeaseLockFactory.class, () -> leases)
          .withPropertyValues(
              "spring.application.name=app",
              "leaderelection.elections.default.lease-name=mine",
              "leaderelection.elections.other.lease-name=theirs",
              "logging.level.dev.leaderelection.spring=debug");

  static final class Leases implements LeaseLockFactory {
    final Map<String, InMemoryLease> byName = new ConcurrentHashMap<>();

    Leases() {
      InMemoryLease theirs = new InMemoryLease("theirs");
      Instant now = Instant.now();
      theirs.overwrite(new LeaseRecord("someone-else", 3600, now, now, 7, null, null, null));
      byName.put("theirs", theirs);
    }

    InMemoryLease lease(String name) {
      return byName.computeIfAbsent(name, InMemoryLease::new);
    }

    @Override
    public dev.leaderelection.core.LeaseLock create(LeaseLockRequest request) {
      return lease(request.leaseName()).lock(request.identity());
    }
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static class Jobs {
    final AtomicInteger onLeader = new AtomicInteger();
    final AtomicInteger onOther = new AtomicInteger();
    final AtomicInteger everywhere = new AtomicInteger();

    @Scheduled(fixedDelay = 20)
    @LeaderOnly
    void leaderJob() {
      onLeader.incrementAndGet();
    }

    @Scheduled(fixedRate = 20)
    @LeaderOnly("other")
    void otherElectionJob() {
      onOther.incrementAndGet();
    }

    @Scheduled(fixedDelay = 20)
    void plainJob() {
      everywhere.incrementAndGet();
    }
  }

  /** The bean behind the proxy that {@code @LeaderOnly} makes, whose fields the tests read. */
  static <T> T target(T bean) {
    return AopTestUtils.getUltimateTargetObject(bean);
  }

  @Test
  void leaderOnlyMethodsRunWhileLeadingAndAreSkippedOtherwise(CapturedOutput output) {
    runner
        .withUserConfiguration(Jobs.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              Jobs jobs = target(ctx.getBean(Jobs.class));
              LeaderElections elections = ctx.getBean(LeaderElections.class);
              await().atMost(WAIT).until(() -> jobs.onLeader.get() >= 3);
              assertThat(elections.get("default").isLeader()).isTrue();
              await().atMost(WAIT).until(() -> jobs.everywhere.get() >= 3);
              assertThat(elections.get("other").isLeader()).isFalse();
              assertThat(jobs.onOther.get()).isZero();
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          output
                              .getOut()
                              .contains(
                                  "Skipped @LeaderOnly Jobs.otherElectionJob(): this process ("
                                      + elections.get("other").identity()
                                      + ") does not lead election 'other' (leader:"
                                      + " someone-else)"));
            });
  }

  /** {@link Jobs} without {@code @EnableScheduling}. */
  static class UnscheduledJobs {
    final AtomicInteger runs = new AtomicInteger();

    @Scheduled(fixedDelay = 20)
    @LeaderOnly
    void leaderJob() {
      runs.incrementAndGet();
    }
  }

  @Test
  void leaderOnlyMethodsWithoutEnableSchedulingAreReportedNamingTheAnnotation(
      CapturedOutput output) {
    runner
        .withBean(UnscheduledJobs.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(output)
                  .contains(
                      "@LeaderOnly @Scheduled methods UnscheduledJobs.leaderJob() never run, on"
                          + " the leader or anywhere else: scheduling is not enabled. Add"
                          + " @EnableScheduling to a @Configuration class (for example the"
                          + " @SpringBootApplication class).");
            });
  }

  @Test
  void withEnableSchedulingThereIsNoSchedulingWarning(CapturedOutput output) {
    runner
        .withUserConfiguration(Jobs.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(output).doesNotContain("scheduling is not enabled");
            });
  }

  /** A bean that needs the election, as the documented events snippet does. */
  static final class NeedsElection {
    final LeaderElection election;

    NeedsElection(LeaderElection election) {
      this.election = election;
    }
  }

  @Test
  void disabledElectionSkipsLeaderOnlyWorkEverywhereKeepsTheBeanAndWarns(CapturedOutput output) {
    runner
        .withUserConfiguration(Jobs.class)
        .withBean(NeedsElection.class)
        .withPropertyValues("leaderelection.enabled=false")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              LeaderElection e = ctx.getBean(NeedsElection.class).election;
              assertThat(e.name()).isEqualTo("default");
              assertThat(e.isLeader()).isFalse();
              assertThat(e.awaitLeadership(Duration.ofMillis(50))).isEmpty();
              assertThat(e.yieldLeadership()).isFalse();
              assertThat(ctx.getBean(LeaderElections.class).get("other").isLeader()).isFalse();
              Jobs jobs = target(ctx.getBean(Jobs.class));
              await().atMost(WAIT).until(() -> jobs.everywhere.get() >= 5);
              assertThat(jobs.onLeader.get()).isZero();
              assertThat(jobs.onOther.get()).isZero();
              assertThat(leases.byName).containsOnlyKeys("theirs"); // no Lease was touched
              assertThat(output)
                  .contains(
                      "leaderelection.enabled=false: this application takes part in no leader"
                          + " election and never leads. @LeaderOnly methods are skipped on every"
                          + " instance")
                  .contains("set leaderelection.mode=local instead");
            });
  }

  @Test
  void leaderOnlyMethodsStopWhenLeadershipIsYieldedAndResumeWhenRegained() {
    runner
        .withUserConfiguration(Jobs.class)
        .withPropertyValues(
            "leaderelection.elections.default.lease-duration=2s",
            "leaderelection.elections.default.renew-deadline=1s",
            "leaderelection.elections.default.retry-period=200ms")
        .run(
            ctx -> {
              Jobs jobs = target(ctx.getBean(Jobs.class));
              LeaderElection e = ctx.getBean(LeaderElections.class).get("default");
              await().atMost(WAIT).until(() -> jobs.onLeader.get() >= 1);
              // Another process takes the Lease at once, as after a yield.
              assertThat(e.yieldLeadership()).isTrue();
              InMemoryLease mine = leases.lease("mine");
              await().atMost(WAIT).until(() -> mine.current().map(r -> !r.isHeld()).orElse(false));
              Instant now = Instant.now();
              mine.overwrite(new LeaseRecord("someone-else", 3600, now, now, 50, null, null, null));
              int runs = jobs.onLeader.get();
              // The plain job keeps running; the leader-only one does not.
              int plain = jobs.everywhere.get();
              await().atMost(WAIT).until(() -> jobs.everywhere.get() >= plain + 5);
              assertThat(jobs.onLeader.get()).isEqualTo(runs);
              // The other process releases: this one takes over and the job resumes.
              mine.overwrite(new LeaseRecord("", 1, now, now, 50, null, null, null));
              await().atMost(WAIT).until(() -> jobs.onLeader.get() > runs);
              assertThat(e.isLeader()).isTrue();
            });
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static class SlowJob {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch finish = new CountDownLatch(1);

    @Scheduled(fixedDelay = 10)
    @LeaderOnly
    void slow() throws InterruptedException {
      started.countDown();
      finish.await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void onShutdownTheLeaseIsReleasedOnlyAfterRunningLeaderWorkReturned() throws Exception {
    InMemoryLease mine = leases.lease("mine");
    CountDownLatch closed = new CountDownLatch(1);
    String[] identity = new String[1];
    runner
        .withUserConfiguration(SlowJob.class)
        // Without this, the scheduler's own lifecycle (stopped before the elections) already
        // waits for running tasks; with it, the elections' own wait is what is tested.
        .withPropertyValues("spring.task.scheduling.shutdown.await-termination=true")
        .run(
            ctx -> {
              SlowJob job = target(ctx.getBean(SlowJob.class));
              EventRecorder events = new EventRecorder();
              ctx.addApplicationListener(events);
              identity[0] = ctx.getBean(LeaderElections.class).get("default").identity();
              assertThat(job.started.await(10, TimeUnit.SECONDS)).isTrue();

              Thread closer =
                  new Thread(
                      () -> {
                        ctx.close();
                        closed.countDown();
                      });
              closer.start();

              // Work is still running: the term has ended, but the Lease is still ours.
              await().atMost(WAIT).until(() -> events.of("default").contains("revoked:CLOSED"));
              assertThat(mine.current())
                  .get()
                  .extracting(LeaseRecord::holderIdentity)
                  .isEqualTo(identity[0]);
              assertThat(closed.getCount()).isOne();

              job.finish.countDown();

              assertThat(closed.await(20, TimeUnit.SECONDS)).isTrue();
              assertThat(mine.current()).get().satisfies(r -> assertThat(r.isHeld()).isFalse());
            });
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  @LeaderOnly
  static class ClassLevel {
    final AtomicInteger runs = new AtomicInteger();

    @Scheduled(fixedDelay = 20)
    void job() {
      runs.incrementAndGet();
    }
  }

  @Test
  void onAClassItAppliesToEveryScheduledMethod() {
    runner
        .withUserConfiguration(ClassLevel.class)
        .withPropertyValues(
            "leaderelection.elections.default.lease-name=theirs",
            "leaderelection.elections.other.lease-name=unused")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              LeaderOnlyMethods methods = ctx.getBean(LeaderOnlyMethods.class);
              assertThat(methods.all())
                  .extracting(LeaderOnlyMethods.Binding::describe)
                  .containsExactly("ClassLevel.job()");
              assertThat(ctx.getBean(LeaderElections.class).get("default").isLeader()).isFalse();
              assertThat(target(ctx.getBean(ClassLevel.class)).runs.get()).isZero();
            });
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static class UnknownElection {
    @Scheduled(fixedDelay = 1000)
    @LeaderOnly("nightly")
    void job() {}
  }

  @Test
  void namingAnElectionThatDoesNotExistStopsTheStartUp() {
    runner
        .withUserConfiguration(UnknownElection.class)
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "@LeaderOnly(\"nightly\") names an election that does not exist")
                    .hasStackTraceContaining("leaderelection.elections.nightly"));
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static class Unnamed {
    @Scheduled(fixedDelay = 1000)
    @LeaderOnly
    void job() {}
  }

  @Test
  void withSeveralElectionsAndNoDefaultAnUnnamedLeaderOnlyStopsTheStartUp() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                LeaderElectionAutoConfiguration.class, TaskSchedulingAutoConfiguration.class))
        .withBean(LeaseLockFactory.class, () -> leases)
        .withUserConfiguration(Unnamed.class)
        .withPropertyValues(
            "spring.application.name=app",
            "leaderelection.elections.a.lease-name=a",
            "leaderelection.elections.b.lease-name=b")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining("@LeaderOnly names no election")
                    .hasStackTraceContaining("@LeaderOnly(\"<name>\")"));
  }

  @Test
  void aLeaderElectionBeanOfTheApplicationDecidesForUnnamedLeaderOnlyMethods() {
    runner
        .withUserConfiguration(Jobs.class)
        .withBean(
            LeaderElection.class,
            () -> new LeaderElectionAutoConfigurationTest.FixedElection("fixed", true))
        .withPropertyValues(
            "leaderelection.elections.default.lease-name=theirs",
            "leaderelection.elections.other.lease-name=unused")
        .run(
            ctx -> {
              Jobs jobs = target(ctx.getBean(Jobs.class));
              assertThat(ctx.getBean(LeaderElections.class).get("default").isLeader()).isFalse();
              await().atMost(WAIT).until(() -> jobs.onLeader.get() >= 3);
            });
  }

  /**
   * Leader-only methods of every kind, for the election "other" (which this process never leads).
   */
  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static class EveryTrigger {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    final AtomicInteger cronTicks = new AtomicInteger();

    private void ran(String kind) {
      runs.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    @Scheduled(fixedDelay = 20)
    @LeaderOnly("other")
    void followerFixedDelay() {
      ran("follower-fixed-delay");
    }

    @Scheduled(fixedRate = 20)
    @LeaderOnly("other")
    void followerFixedRate() {
      ran("follower-fixed-rate");
    }

    @Scheduled(cron = "* * * * * *")
    @LeaderOnly("other")
    void followerCron() {
      ran("follower-cron");
    }

    @Scheduled(cron = "* * * * * *")
    void everySecond() {
      cronTicks.incrementAndGet();
    }

    @Scheduled(cron = "* * * * * *")
    @LeaderOnly
    void leaderCron() {
      ran("leader-cron");
    }

    @Scheduled(fixedRate = 20)
    @LeaderOnly
    void leaderFixedRate() {
      ran("leader-fixed-rate");
    }

    @LeaderOnly("other")
    public void followerDirect() {
      ran("follower-direct");
    }

    @LeaderOnly
    public void leaderDirect() {
      ran("leader-direct");
    }

    int count(String kind) {
      AtomicInteger n = runs.get(kind);
      return n == null ? 0 : n.get();
    }
  }

  @Test
  void aFollowerSkipsLeaderOnlyMethodsCalledDirectlyByFixedDelayFixedRateCronAndTaskScheduler() {
    runner
        .withUserConfiguration(EveryTrigger.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              EveryTrigger bean = ctx.getBean(EveryTrigger.class); // the proxy
              EveryTrigger jobs = target(bean);
              LeaderElections elections = ctx.getBean(LeaderElections.class);
              assertThat(elections.get("default").awaitLeadership(WAIT)).isPresent();
              assertThat(elections.get("other").isLeader()).isFalse();
              TaskScheduler scheduler = ctx.getBean(TaskScheduler.class);
              var followerTask =
                  scheduler.scheduleWithFixedDelay(bean::followerDirect, Duration.ofMillis(20));
              var leaderTask =
                  scheduler.scheduleWithFixedDelay(bean::leaderDirect, Duration.ofMillis(20));
              bean.followerDirect();
              // Two cron ticks, so that every cron method has been due at least once.
              int ticks = jobs.cronTicks.get();
              await().atMost(WAIT).until(() -> jobs.cronTicks.get() >= ticks + 2);
              await().atMost(WAIT).until(() -> jobs.count("leader-cron") >= 1);
              await().atMost(WAIT).until(() -> jobs.count("leader-fixed-rate") >= 3);
              await().atMost(WAIT).until(() -> jobs.count("leader-direct") >= 3);
              followerTask.cancel(false);
              leaderTask.cancel(false);
              assertThat(jobs.count("follower-fixed-delay")).isZero();
              assertThat(jobs.count("follower-fixed-rate")).isZero();
              assertThat(jobs.count("follower-cron")).isZero();
              assertThat(jobs.count("follower-direct")).isZero();
              assertThat(ctx.getBean(LeaderOnlyMethods.class).all())
                  .extracting(LeaderOnlyMethods.Binding::describe)
                  .contains(
                      "EveryTrigger.followerFixedDelay()",
                      "EveryTrigger.followerCron()",
                      "EveryTrigger.followerDirect()");
            });
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static final class FinalJobs {
    @Scheduled(fixedDelay = 1000)
    @LeaderOnly
    void job() {}
  }

  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  static class ReturningJobs {
    @Scheduled(fixedDelay = 1000)
    @LeaderOnly
    String job() {
      return "done";
    }
  }

  @Test
  void aLeaderOnlyMethodThatCannotBeInterceptedStopsTheStartUp() {
    runner
        .withUserConfiguration(FinalJobs.class)
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .rootCause()
                    .hasMessageStartingWith(
                        "@LeaderOnly cannot guard dev.leaderelection.spring.LeaderOnlyTest$FinalJobs"
                            + ".job(): its class dev.leaderelection.spring.LeaderOnlyTest$FinalJobs"
                            + " is final."));
    runner
        .withUserConfiguration(ReturningJobs.class)
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .rootCause()
                    .hasMessageContaining(".job(): it returns String.")
                    .hasMessageContaining("Make the method void"));
  }
}
