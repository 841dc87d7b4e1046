package dev.leaderelection.benchmarks;

import java.time.Duration;

/**
 * The three durations, as client-go names them.
 *
 * @param name {@code default} or {@code fast}
 * @param leaseSeconds leaseDuration in seconds
 * @param renewSeconds renewDeadline in seconds
 * @param retrySeconds retryPeriod in seconds
 */
public record Profile(String name, int leaseSeconds, int renewSeconds, int retrySeconds) {

  /** 15/10/2 s, client-go's defaults. */
  public static final Profile DEFAULT = new Profile("default", 15, 10, 2);

  /** 4/3/1 s. */
  public static final Profile FAST = new Profile("fast", 4, 3, 1);

  /** {@return leaseDuration} */
  public Duration lease() {
    return Duration.ofSeconds(leaseSeconds);
  }

  /** {@return renewDeadline} */
  public Duration renew() {
    return Duration.ofSeconds(renewSeconds);
  }

  /** {@return retryPeriod} */
  public Duration retry() {
    return Duration.ofSeconds(retrySeconds);
  }

  /** {@return e.g. {@code 15/10/2 s}} */
  public String durations() {
    return leaseSeconds + "/" + renewSeconds + "/" + retrySeconds + " s";
  }

  /**
   * Parses a profile name.
   *
   * @param s {@code default} or {@code fast}
   * @return the profile
   */
  public static Profile parse(String s) {
    return switch (s) {
      case "default" -> DEFAULT;
      case "fast" -> FAST;
      default -> throw new IllegalArgumentException("unknown profile " + s);
    };
  }
}
