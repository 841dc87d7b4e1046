package dev.leaderelection.core.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/** The API server's clock as its answers show it: HTTP dates and the back-off it asks for. */
public final class ServerTime {
  private ServerTime() {}

  /**
   * Parses an HTTP date ({@code Date}, {@code Retry-After}: RFC 1123).
   *
   * @param header the header's value, or {@code null}
   * @return the instant, or {@code null} if absent or not an HTTP date
   */
  public static @Nullable Instant httpDate(@Nullable String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    try {
      return ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * How long before an answer the Lease was last written, by the API server's own clock: the
   * answer's {@code Date} header against the newest {@code metadata.managedFields[].time} (the API
   * server stamps the writing manager's entry on every change). Both have whole seconds, so one
   * second is taken off: the result is a lower bound, never from a writer's clock.
   *
   * @param dateHeader the answer's {@code Date} header
   * @param lastWrite the newest {@code managedFields} time
   * @return the time since the last write, at least zero, or {@code null} if either is unknown
   */
  public static @Nullable Duration writtenAgo(
      @Nullable String dateHeader, @Nullable Instant lastWrite) {
    Instant now = httpDate(dateHeader);
    if (now == null || lastWrite == null) {
      return null;
    }
    Duration ago = Duration.between(lastWrite, now).minusSeconds(1);
    return ago.isNegative() ? Duration.ZERO : ago;
  }

  /**
   * The back-off the server asked for: the {@code Retry-After} header (seconds or an HTTP date),
   * else the Status's {@code details.retryAfterSeconds}.
   *
   * @param header the {@code Retry-After} header, or {@code null}
   * @param statusSeconds {@code details.retryAfterSeconds} of the Status body, or {@code null}
   * @return the back-off, or {@code null} if the server gave none
   */
  public static @Nullable Duration retryAfter(
      @Nullable String header, @Nullable Integer statusSeconds) {
    if (header != null && !header.isBlank()) {
      try {
        long s = Long.parseLong(header.trim());
        return s >= 0 ? Duration.ofSeconds(s) : null;
      } catch (NumberFormatException e) {
        Instant at = httpDate(header);
        if (at != null) {
          Duration d = Duration.between(Instant.now(), at);
          return d.isNegative() ? Duration.ZERO : d;
        }
      }
    }
    return statusSeconds == null || statusSeconds < 0 ? null : Duration.ofSeconds(statusSeconds);
  }
}
