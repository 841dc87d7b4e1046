package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MicroTimeTest {

  @ParameterizedTest
  @CsvSource({
    "2026-11-22T02:22:55Z, 2026-11-22T02:22:55.000000Z",
    "2026-11-22T02:22:55.1Z, 2026-11-22T02:22:55.100000Z",
    "2026-11-22T02:22:55.123456Z, 2026-11-22T02:22:55.123456Z",
    // truncated, not rounded, like Go
    "2026-11-22T02:22:55.123456999Z, 2026-11-22T02:22:55.123456Z",
    "1970-01-01T00:00:00Z, 1970-01-01T00:00:00.000000Z",
    "2000-02-29T23:59:59.999999Z, 2000-02-29T23:59:59.999999Z",
  })
  void formatsInUtcWithExactlySixFractionalDigits(String instant, String expected) {
    assertThat(MicroTime.format(Instant.parse(instant))).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "2026-11-22T02:22:55.123456Z, 2026-11-22T02:22:55.123456Z",
    "2026-11-22T02:22:55Z, 2026-11-22T02:22:55Z",
    "2026-11-22T02:22:55.1Z, 2026-11-22T02:22:55.100Z",
    "2026-11-22T02:22:55.123456789Z, 2026-11-22T02:22:55.123456789Z",
    "2026-11-22T03:22:55.5+01:00, 2026-11-22T02:22:55.500Z",
    "2026-11-21T21:22:55-05:00, 2026-11-22T02:22:55Z",
  })
  void parsesRfc3339WithAnyPrecisionAndOffset(String text, String expected) {
    assertThat(MicroTime.parse(text)).isEqualTo(Instant.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "yesterday", "2026-11-22", "2026-11-22 02:22:55Z", "2026-13-01T00:00:00Z"})
  void unparsableTimesReadAsAbsent(String text) {
    assertThat(MicroTime.parse(text)).isNull();
  }

  @Test
  void nonStringsReadAsAbsent() {
    assertThat(MicroTime.parse(null)).isNull();
    assertThat(MicroTime.parse(1_700_000_000)).isNull();
  }

  @Test
  void roundTripsAtMicrosecondPrecision() {
    Instant t = Instant.parse("2026-11-22T02:22:55.654321Z");
    assertThat(MicroTime.parse(MicroTime.format(t))).isEqualTo(t);
  }
}
