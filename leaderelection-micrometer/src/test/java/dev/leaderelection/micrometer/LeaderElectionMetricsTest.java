package dev.leaderelection.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.InMemoryLease;
import dev.leaderelection.core.LeaderElectionListener.Operation;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaderElectionMetricsTest {

  @Test
  void reportsLeaderStatusTransitionsAttemptsAndLatencyPerLease() {
    ManualScheduler clock = new ManualScheduler();
    InMemoryLease lease = new InMemoryLease("m");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LeaderElectionMetrics metrics = new LeaderElectionMetrics("ns/m");
    metrics.bindTo(registry);
    LeaderElector e =
        LeaderElector.builder(lease.lock("a"))
            .listener(metrics)
            .scheduler(clock)
            .timeSource(clock)
            .callbackExecutor(clock)
            .build();
    assertThat(registry.get("leaderelection.leader").tag("lease", "ns/m").gauge().value()).isZero();
    e.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(4));

    assertThat(registry.get("leaderelection.leader").tag("lease", "ns/m").gauge().value())
        .isEqualTo(1);
    assertThat(registry.get("leaderelection.transitions").counter().count()).isEqualTo(1);
    assertThat(registry.get("leaderelection.attempts").tag("kind", "renew").counter().count())
        .isEqualTo(2);
    assertThat(registry.get("leaderelection.renew.latency").timer().count()).isEqualTo(2);

    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(registry.get("leaderelection.leader").gauge().value()).isZero();
    assertThat(registry.get("leaderelection.losses").tag("reason", "closed").counter().count())
        .isEqualTo(1);
  }

  @Test
  void aConflictingRenewalIsCountedWithTheOperationUpdate() {
    ManualScheduler clock = new ManualScheduler();
    InMemoryLease lease = new InMemoryLease("m");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LeaderElectionMetrics metrics = new LeaderElectionMetrics("ns/m");
    metrics.bindTo(registry);
    LeaderElector e =
        LeaderElector.builder(lease.lock("a"))
            .listener(metrics)
            .scheduler(clock)
            .timeSource(clock)
            .callbackExecutor(clock)
            .build();
    e.start();
    clock.runPending();
    assertThat(e.isLeader()).isTrue();

    // Another writer changes the Lease under the leader: its next renewal loses the race.
    lease.overwrite(new LeaseRecord("b", 15, clock.now(), clock.now(), 1, null, null, null));
    clock.advance(Duration.ofSeconds(2));

    assertThat(e.isLeader()).isFalse();
    assertThat(
            registry
                .get("leaderelection.conflicts")
                .tags("lease", "ns/m", "operation", "update")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("leaderelection.losses").tag("reason", "lost").counter().count())
        .isEqualTo(1);
    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
  }

  @Test
  void everyDocumentedMeterExistsAtZeroOnceBoundBeforeAnyEvent() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new LeaderElectionMetrics("ns/m").bindTo(registry);
    for (String name :
        List.of(
            "leaderelection.leader",
            "leaderelection.transitions",
            "leaderelection.losses",
            "leaderelection.renew.latency",
            "leaderelection.attempts",
            "leaderelection.conflicts",
            "leaderelection.errors",
            "leaderelection.identity.conflicts")) {
      assertThat(registry.find(name).tag("lease", "ns/m").meters()).as(name).isNotEmpty();
    }
    assertThat(registry.get("leaderelection.losses").tag("reason", "yielded").counter().count())
        .isZero();
    assertThat(registry.get("leaderelection.attempts").tag("kind", "acquire").counter().count())
        .isZero();
    assertThat(
            registry
                .get("leaderelection.errors")
                .tags("operation", "update", "reason", "forbidden")
                .counter()
                .count())
        .isZero();
    assertThat(registry.find("leaderelection.errors").meters()).hasSize(4 * 7);
    assertThat(registry.get("leaderelection.renew.latency").timer().count()).isZero();
  }

  @Test
  void operationsAndReasonsAreTaggedInLowerCase() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LeaderElectionMetrics metrics = new LeaderElectionMetrics("ns/m");
    metrics.bindTo(registry);
    for (Operation op : Operation.values()) {
      metrics.onConflict(op);
      metrics.onError(op, new LeaseLockException(Reason.NOT_FOUND, "gone", null));
    }
    metrics.onError(Operation.GET, new IllegalStateException("not a lock failure"));

    for (String op : List.of("get", "create", "update", "release")) {
      assertThat(registry.get("leaderelection.conflicts").tag("operation", op).counter().count())
          .as(op)
          .isEqualTo(1);
      assertThat(
              registry
                  .get("leaderelection.errors")
                  .tags("operation", op, "reason", "not_found")
                  .counter()
                  .count())
          .as(op)
          .isEqualTo(1);
    }
    assertThat(
            registry
                .get("leaderelection.errors")
                .tags("operation", "get", "reason", "other")
                .counter()
                .count())
        .isEqualTo(1);
  }
}
