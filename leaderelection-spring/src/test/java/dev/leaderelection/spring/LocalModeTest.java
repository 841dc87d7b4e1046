package dev.leaderelection.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.leaderelection.core.InMemoryLease;
import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;

/**
 * Local mode, and the behaviour every mode shares (events, yield, restart, shutdown), on in-memory
 * leases.
 */
@ExtendWith(OutputCaptureExtension.class)
class LocalModeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LeaderElectionAutoConfiguration.class))
          .withBean(EventRecorder.class, EventRecorder::new)
          .withPropertyValues(
              "spring.application.name=app",
              "leaderelection.mode=local",
              "leaderelection.lease-duration=1s",
              "leaderelection.renew-deadline=500ms",
              "leaderelection.retry-period=200ms");

  @Test
  void localModeLeadsAndSaysLoudlyThatItIsNotElecting(CapturedOutput output) {
    runner.run(
        ctx -> {
          LeaderElection e = ctx.getBean(LeaderElection.class);
          assertThat(e.awaitLeadership(WAIT)).isPresent();
          assertThat(e.namespace()).isEmpty();
          assertThat(output)
              .containsPattern(
                  "WARN .*leaderelection.mode=local: NOT ELECTING\\. Election 'default' \\(lease"
                      + " app\\) use\\(s\\) an in-memory lease");
        });
  }

  @Test
  void eventsComeInOrderAndIsLeaderIsTrueWhileTheGrantIsHandled() {
    EventRecorder[] recorder = new EventRecorder[1];
    runner.run(
        ctx -> {
          recorder[0] = ctx.getBean(EventRecorder.class);
          await().atMost(WAIT).until(() -> recorder[0].of("default").contains("granted"));
          assertThat(recorder[0].of("default")).containsExactly("new-leader:self", "granted");
          LeaderGrantedEvent granted = recorder[0].ofType(LeaderGrantedEvent.class).get(0);
          assertThat(granted.leadership().identity())
              .isEqualTo(ctx.getBean(LeaderElection.class).identity());
          assertThat(
                  recorder[0].all().stream()
                      .filter(s -> s.event() instanceof LeaderGrantedEvent)
                      .findFirst()
                      .orElseThrow()
                      .leaderWhileHandled())
              .isTrue();
        });
    // The context is closed: the term ended, and the revoke was published before close returned.
    assertThat(recorder[0].of("default"))
        .containsExactly("new-leader:self", "granted", "revoked:CLOSED");
    EventRecorder.Seen revoked = recorder[0].all().get(recorder[0].all().size() - 1);
    assertThat(revoked.leaderWhileHandled()).isFalse();
  }

  @Test
  void springIntegrationEventsCarryAWorkingContext() {
    runner.run(
        ctx -> {
          EventRecorder recorder = ctx.getBean(EventRecorder.class);
          await().atMost(WAIT).until(() -> !recorder.ofType(OnGrantedEvent.class).isEmpty());
          OnGrantedEvent granted = recorder.ofType(OnGrantedEvent.class).get(0);
          assertThat(granted.getRole()).isEqualTo("default");
          assertThat(granted.getSource()).isSameAs(ctx.getBean(LeaderElection.class));
          Context context = granted.getContext();
          assertThat(context.getRole()).isEqualTo("default");
          assertThat(context.isLeader()).isTrue();
          // isLeader() was already true while the event was handled.
          assertThat(
                  recorder.all().stream()
                      .filter(s -> s.event() instanceof OnGrantedEvent)
                      .findFirst()
                      .orElseThrow()
                      .leaderWhileHandled())
              .isTrue();

          context.yield();

          await().atMost(WAIT).until(() -> !recorder.ofType(OnRevokedEvent.class).isEmpty());
          OnRevokedEvent revoked = recorder.ofType(OnRevokedEvent.class).get(0);
          assertThat(revoked.getContext().isLeader()).isFalse();
          assertThat(context.isLeader()).isFalse();
          assertThat(recorder.ofType(LeaderRevokedEvent.class).get(0).reason())
              .isEqualTo(EndReason.YIELDED);
          // yield() of a term that is over does nothing.
          context.yield();
        });
  }

  @Test
  void springIntegrationEventsComeBeforeTheStartersOwnToTheApplicationsListeners() {
    runner.run(
        ctx -> {
          EventRecorder recorder = ctx.getBean(EventRecorder.class);
          await().atMost(WAIT).until(() -> !recorder.ofType(OnGrantedEvent.class).isEmpty());
          List<String> order =
              recorder.all().stream()
                  .map(EventRecorder.Seen::describe)
                  .filter(d -> !d.startsWith("new-leader"))
                  .toList();
          assertThat(order).containsSubsequence("OnGrantedEvent", "granted");
          assertThat(order.indexOf("OnGrantedEvent")).isLessThan(order.indexOf("granted"));
        });
  }

  @Test
  void yieldGivesUpLeadershipThenRejoinsAfterTheLeaseDuration() {
    runner.run(
        ctx -> {
          LeaderElection e = ctx.getBean(LeaderElection.class);
          EventRecorder recorder = ctx.getBean(EventRecorder.class);
          await().atMost(WAIT).until(() -> recorder.of("default").contains("granted"));

          assertThat(e.yieldLeadership()).isTrue();

          assertThat(e.isLeader()).isFalse();
          await().atMost(WAIT).until(() -> recorder.of("default").contains("revoked:YIELDED"));
          // The lease was released once the revoke was handled; local mode then leads again.
          await()
              .atMost(WAIT)
              .untilAsserted(
                  () ->
                      assertThat(recorder.of("default"))
                          .containsSubsequence("granted", "revoked:YIELDED", "granted"));
          assertThat(e.yieldLeadership()).isTrue();
          assertThat(e.yieldLeadership()).isFalse();
        });
  }

  @Test
  void stoppingReleasesTheLeaseAndStartingAgainCompetesWithANewElector() {
    InMemoryLease lease = new InMemoryLease("app");
    runner
        .withBean(LeaseLockFactory.class, () -> spec -> lease.lock(spec.identity()))
        .run(
            ctx -> {
              ManagedLeaderElection e = (ManagedLeaderElection) ctx.getBean(LeaderElection.class);
              EventRecorder recorder = ctx.getBean(EventRecorder.class);
              var first = e.elector();
              await().atMost(WAIT).until(() -> recorder.of("default").contains("granted"));

              ctx.stop();

              assertThat(e.isLeader()).isFalse();
              assertThat(lease.current()).get().satisfies(r -> assertThat(r.isHeld()).isFalse());
              assertThat(recorder.of("default")).endsWith("revoked:CLOSED");

              ctx.start();

              assertThat(e.elector()).isNotSameAs(first);
              await()
                  .atMost(WAIT)
                  .untilAsserted(
                      () ->
                          assertThat(recorder.of("default"))
                              .containsExactly(
                                  "new-leader:self",
                                  "granted",
                                  "revoked:CLOSED",
                                  "new-leader:self",
                                  "granted"));
              assertThat(e.isLeader()).isTrue();
            });
  }

  @Test
  void electionsStartWithLazyInitialization() {
    runner
        .withInitializer(
            ctx ->
                ctx.addBeanFactoryPostProcessor(
                    new org.springframework.boot.LazyInitializationBeanFactoryPostProcessor()))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              EventRecorder recorder = ctx.getBean(EventRecorder.class);
              await().atMost(WAIT).until(() -> recorder.of("default").contains("granted"));
              assertThat(ctx.getBean(LeaderElection.class).isLeader()).isTrue();
            });
  }

  @Test
  void withoutReleaseOnShutdownTheLeaseStaysHeldAfterClose() {
    InMemoryLease lease = new InMemoryLease("app");
    String[] identity = new String[1];
    runner
        .withPropertyValues("leaderelection.release-on-shutdown=false")
        .withBean(LeaseLockFactory.class, () -> spec -> lease.lock(spec.identity()))
        .run(
            ctx -> {
              LeaderElection e = ctx.getBean(LeaderElection.class);
              identity[0] = e.identity();
              assertThat(e.awaitLeadership(WAIT)).isPresent();
            });
    assertThat(lease.current())
        .get()
        .satisfies(r -> assertThat(r.holderIdentity()).isEqualTo(identity[0]));
  }

  @Test
  void twoApplicationsSharingALeaseHaveExactlyOneLeader() {
    InMemoryLease lease = new InMemoryLease("app");
    ApplicationContextRunner shared =
        runner.withBean(LeaseLockFactory.class, () -> spec -> lease.lock(spec.identity()));
    shared.run(
        a ->
            shared.run(
                b -> {
                  LeaderElection ea = a.getBean(LeaderElection.class);
                  LeaderElection eb = b.getBean(LeaderElection.class);
                  await().atMost(WAIT).until(() -> ea.isLeader() || eb.isLeader());
                  assertThat(List.of(ea.isLeader(), eb.isLeader())).containsOnlyOnce(true);
                  LeaderElection leader = ea.isLeader() ? ea : eb;
                  LeaderElection follower = ea.isLeader() ? eb : ea;
                  await()
                      .atMost(WAIT)
                      .until(() -> follower.currentLeader().orElse(""), leader.identity()::equals);
                  assertThat(leader.currentLeader()).contains(leader.identity());
                }));
  }
}
