package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leaderelection.core.LeaderElectionConfig.InvalidSettingException;
import dev.leaderelection.core.LeaderElectionConfig.Setting;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeaderElectionConfigTest {

  @Test
  void defaultsAreClientGos() {
    LeaderElectionConfig c = LeaderElectionConfig.defaults();
    assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.releaseOnClose()).isTrue();
    assertThat(c.rejoinAfterLoss()).isTrue();
    assertThat(c.closeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.name()).isNull();
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of(
            "lease not above renew",
            (Supplier<?>)
                () ->
                    LeaderElectionConfig.builder()
                        .leaseDuration(Duration.ofSeconds(10))
                        .renewDeadline(Duration.ofSeconds(10))
                        .build(),
            "leaseDuration must be greater than renewDeadline; got leaseDuration=10s,"
                + " renewDeadline=10s"),
        Arguments.of(
            "renew not above retry*1.2",
            (Supplier<?>)
                () ->
                    LeaderElectionConfig.builder()
                        .renewDeadline(Duration.ofSeconds(2))
                        .retryPeriod(Duration.ofSeconds(2))
                        .build(),
            "renewDeadline must be greater than retryPeriod*JitterFactor (1.2); got"
                + " renewDeadline=2s, retryPeriod*1.2=2.4s"),
        Arguments.of(
            "zero lease",
            (Supplier<?>) () -> LeaderElectionConfig.builder().leaseDuration(Duration.ZERO),
            "leaseDuration must be greater than zero; got 0s"),
        Arguments.of(
            "negative renew",
            (Supplier<?>)
                () -> LeaderElectionConfig.builder().renewDeadline(Duration.ofMillis(-1500)),
            "renewDeadline must be greater than zero; got -1.5s"),
        Arguments.of(
            "zero retry",
            (Supplier<?>) () -> LeaderElectionConfig.builder().retryPeriod(Duration.ZERO),
            "retryPeriod must be greater than zero; got 0s"),
        Arguments.of(
            "retry below the floor",
            (Supplier<?>) () -> LeaderElectionConfig.builder().retryPeriod(Duration.ofMillis(2)),
            "retryPeriod must be at least 100ms; got 2ms, which would make the leader write the"
                + " Lease about 500 times a second (and every candidate without a watch read it as"
                + " often). Use 2s (the default) unless you need faster hand-over; a bare number"
                + " given as milliseconds is the usual cause"),
        Arguments.of(
            "fractional lease",
            (Supplier<?>)
                () -> LeaderElectionConfig.builder().leaseDuration(Duration.ofMillis(1500)),
            "leaseDuration must be a whole number of seconds, because the Lease stores whole"
                + " seconds (leaseDurationSeconds); got 1.5s"),
        Arguments.of(
            "sub-second lease",
            (Supplier<?>)
                () -> LeaderElectionConfig.builder().leaseDuration(Duration.ofMillis(500)),
            "leaseDuration must be a whole number of seconds, because the Lease stores whole"
                + " seconds (leaseDurationSeconds); got 500ms"),
        Arguments.of(
            "negative close timeout",
            (Supplier<?>) () -> LeaderElectionConfig.builder().closeTimeout(Duration.ofSeconds(-1)),
            "closeTimeout must not be negative; got -1s"),
        Arguments.of(
            "blank name",
            (Supplier<?>) () -> LeaderElectionConfig.builder().name(" "),
            "name must not be blank; got ' '"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithAMessageNamingFieldRuleAndValue(String name, Supplier<?> build, String message) {
    assertThatThrownBy(build::get).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  static Stream<Arguments> renamed() {
    return Stream.of(
        Arguments.of(
            (Supplier<?>)
                () ->
                    LeaderElectionConfig.builder()
                        .leaseDuration(Duration.ofSeconds(10))
                        .renewDeadline(Duration.ofSeconds(10))
                        .build(),
            Setting.LEASE_DURATION,
            "<LEASE_DURATION> must be greater than <RENEW_DEADLINE>; got <LEASE_DURATION>=10s,"
                + " <RENEW_DEADLINE>=10s"),
        Arguments.of(
            (Supplier<?>)
                () ->
                    LeaderElectionConfig.builder()
                        .renewDeadline(Duration.ofSeconds(2))
                        .retryPeriod(Duration.ofSeconds(2))
                        .build(),
            Setting.RENEW_DEADLINE,
            "<RENEW_DEADLINE> must be greater than <RETRY_PERIOD>*JitterFactor (1.2); got"
                + " <RENEW_DEADLINE>=2s, <RETRY_PERIOD>*1.2=2.4s"),
        Arguments.of(
            (Supplier<?>) () -> LeaderElectionConfig.builder().retryPeriod(Duration.ZERO),
            Setting.RETRY_PERIOD,
            "<RETRY_PERIOD> must be greater than zero; got 0s"),
        Arguments.of(
            (Supplier<?>) () -> LeaderElectionConfig.builder().retryPeriod(Duration.ofMillis(99)),
            Setting.RETRY_PERIOD,
            "<RETRY_PERIOD> must be at least 100ms; got 99ms, which would make the leader write the"
                + " Lease about 10 times a second (and every candidate without a watch read it as"
                + " often). Use 2s (the default) unless you need faster hand-over; a bare number"
                + " given as milliseconds is the usual cause"),
        Arguments.of(
            (Supplier<?>)
                () -> LeaderElectionConfig.builder().leaseDuration(Duration.ofMillis(1500)),
            Setting.LEASE_DURATION,
            "<LEASE_DURATION> must be a whole number of seconds, because the Lease stores whole"
                + " seconds (leaseDurationSeconds); got 1.5s"),
        Arguments.of(
            (Supplier<?>) () -> LeaderElectionConfig.builder().closeTimeout(Duration.ofSeconds(-1)),
            Setting.CLOSE_TIMEOUT,
            "<CLOSE_TIMEOUT> must not be negative; got -1s"),
        Arguments.of(
            (Supplier<?>) () -> LeaderElectionConfig.builder().name(""),
            Setting.NAME,
            "<NAME> must not be blank; got ''"));
  }

  @ParameterizedTest(name = "{2}")
  @MethodSource("renamed")
  void aRefusalNamesItsSettingAndGivesItsMessageInOtherNames(
      Supplier<?> build, Setting setting, String renamed) {
    assertThatThrownBy(build::get)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> {
              assertThat(e.setting()).isEqualTo(setting);
              assertThat(e.messageNaming(s -> "<" + s.name() + ">")).isEqualTo(renamed);
              assertThat(e.messageNaming(Setting::fieldName)).isEqualTo(e.getMessage());
            });
  }

  @Test
  @SuppressWarnings("NullAway") // passing null on purpose
  void nullsAreRejectedByName() {
    assertThatThrownBy(() -> LeaderElectionConfig.builder().leaseDuration(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("leaseDuration must not be null");
  }

  @Test
  void theRetryPeriodFloorItselfIsAccepted() {
    assertThat(
            LeaderElectionConfig.builder()
                .retryPeriod(LeaderElectionConfig.MIN_RETRY_PERIOD)
                .build()
                .retryPeriod())
        .isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void theFastProfileIsValid() {
    LeaderElectionConfig c =
        LeaderElectionConfig.builder()
            .leaseDuration(Duration.ofSeconds(4))
            .renewDeadline(Duration.ofSeconds(3))
            .retryPeriod(Duration.ofSeconds(1))
            .build();
    assertThat(c.toBuilder().build().toString()).isEqualTo(c.toString());
    assertThat(c.toString()).contains("leaseDuration=4s", "renewDeadline=3s", "retryPeriod=1s");
  }
}
