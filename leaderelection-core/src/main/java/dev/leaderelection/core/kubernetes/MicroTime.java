package dev.leaderelection.core.kubernetes;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/**
 * Kubernetes' {@code MicroTime}, the type of a Lease's {@code acquireTime} and {@code renewTime}:
 * RFC 3339 in UTC with exactly six fractional digits, such as {@code 2026-11-22T02:22:55.123456Z},
 * as client-go writes it. For backends that write Leases as JSON themselves.
 */
public final class MicroTime {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private MicroTime() {}

  /**
   * Formats {@code time}, truncated (not rounded) to microseconds as the API server stores it.
   *
   * @param time the time
   * @return the {@code MicroTime} text
   */
  public static String format(Instant time) {
    return FORMAT.format(time.truncatedTo(ChronoUnit.MICROS));
  }

  /**
   * Parses an RFC 3339 time with any number of fractional digits and any offset.
   *
   * @param text the text
   * @return the time
   * @throws DateTimeParseException if it is not an RFC 3339 time
   */
  public static Instant parse(String text) {
    return OffsetDateTime.parse(text).toInstant();
  }

  /**
   * Parses {@code text} as {@link #parse} does, or gives {@code null} for {@code null}, empty or
   * malformed text.
   *
   * @param text the text, or {@code null}
   * @return the time, or {@code null}
   */
  public static @Nullable Instant parseOrNull(@Nullable String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
