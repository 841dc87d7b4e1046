package dev.leaderelection.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.testing.InMemoryLease;
import dev.leaderelection.core.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
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
}
