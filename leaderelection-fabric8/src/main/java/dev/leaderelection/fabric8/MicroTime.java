package dev.leaderelection.fabric8;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/**
 * Kubernetes {@code metav1.MicroTime}: RFC 3339 in UTC with exactly six fractional digits, as Go's
 * {@code 2006-01-02T15:04:05.000000Z07:00} formats it.
 */
final class MicroTime {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private MicroTime() {}

  /** Formats {@code t}, truncated (not rounded) to microseconds, as Go does. */
  static String format(Instant t) {
    return FORMAT.format(t.truncatedTo(ChronoUnit.MICROS));
  }

  /**
   * Parses an RFC 3339 time with any number of fractional digits (or none) and any offset. Returns
   * {@code null} for {@code null}, a non-string, or text that is not RFC 3339: an unreadable time
   * is treated as absent, which the election tolerates (it never compares a Lease's times with its
   * own clock).
   */
  static @Nullable Instant parse(@Nullable Object value) {
    if (!(value instanceof String s) || s.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
