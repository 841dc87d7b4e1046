package dev.leaderelection.examples.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerSettingsTest {

  @Test
  void defaultsAreTheLibraryDefaults() {
    WorkerSettings s = WorkerSettings.fromEnv(Map.of());
    assertThat(s.leaseName()).isEqualTo("singleton-worker");
    assertThat(s.namespace()).isNull();
    assertThat(s.outputConfigMap()).isEqualTo("worker-output");
    assertThat(s.election().leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(s.election().renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.election().retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.election().closeTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.logRenewals()).isFalse();
  }

  @Test
  void readsShortAndIsoDurations() {
    WorkerSettings s =
        WorkerSettings.fromEnv(
            Map.of(
                "LEASE_DURATION", "4s",
                "RENEW_DEADLINE", "PT3S",
                "RETRY_PERIOD", "1000ms",
                "WORK_INTERVAL", "250ms",
                "POD_NAMESPACE", "team-a"));
    assertThat(s.election().leaseDuration()).isEqualTo(Duration.ofSeconds(4));
    assertThat(s.election().renewDeadline()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.election().retryPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.workInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.namespace()).isEqualTo("team-a");
  }

  @Test
  void aMalformedDurationNamesTheVariable() {
    assertThatThrownBy(() -> WorkerSettings.fromEnv(Map.of("RETRY_PERIOD", "two seconds")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("RETRY_PERIOD: not a duration: 'two seconds'");
  }

  @Test
  void invalidTimingIsRejectedWithTheLibrarysMessage() {
    assertThatThrownBy(
            () -> WorkerSettings.fromEnv(Map.of("LEASE_DURATION", "10s", "RENEW_DEADLINE", "10s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseDuration must be greater than renewDeadline");
  }
}
