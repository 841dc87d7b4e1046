package dev.leaderelection.examples.worker;

import dev.leaderelection.core.LeaderElectionConfig;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The worker's settings, read from environment variables.
 *
 * <table>
 *   <caption>Environment variables</caption>
 *   <tr><th>variable</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code LEASE_NAME}</td><td>{@code singleton-worker}</td><td>the Lease to compete for</td></tr>
 *   <tr><td>{@code POD_NAMESPACE}</td><td>the pod's namespace, else the kubeconfig's</td>
 *       <td>namespace of the Lease and the output ConfigMap</td></tr>
 *   <tr><td>{@code POD_NAME}</td><td>{@code HOSTNAME}</td><td>first part of the identity</td></tr>
 *   <tr><td>{@code OUTPUT_CONFIGMAP}</td><td>{@code worker-output}</td>
 *       <td>the ConfigMap the leader writes to</td></tr>
 *   <tr><td>{@code LEASE_DURATION}, {@code RENEW_DEADLINE}, {@code RETRY_PERIOD}</td>
 *       <td>15s, 10s, 2s</td><td>the election's durations</td></tr>
 *   <tr><td>{@code CLOSE_TIMEOUT}</td><td>5s</td>
 *       <td>how long shutdown waits for the leader's work to stop before releasing</td></tr>
 *   <tr><td>{@code WORK_INTERVAL}</td><td>1s</td><td>how often the leader writes</td></tr>
 *   <tr><td>{@code LOG_RENEWALS}</td><td>false</td>
 *       <td>whether each renewal is written as an event (the demo uses them)</td></tr>
 * </table>
 *
 * <p>Durations are written like {@code 15s}, {@code 500ms}, {@code 1m} or ISO-8601 ({@code PT15S}).
 *
 * @param leaseName the Lease's name
 * @param namespace the namespace, or null to let the lock find it
 * @param outputConfigMap the ConfigMap the leader writes to
 * @param election the election's configuration
 * @param workInterval how often the leader writes
 * @param logRenewals whether each renewal is written as an event
 */
public record WorkerSettings(
    String leaseName,
    @Nullable String namespace,
    String outputConfigMap,
    LeaderElectionConfig election,
    Duration workInterval,
    boolean logRenewals) {

  /** Default work interval. */
  public static final Duration DEFAULT_WORK_INTERVAL = Duration.ofSeconds(1);

  /** Default close timeout: the work loop stops within one write. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m)");

  /**
   * Reads the settings from environment variables.
   *
   * @param env the environment, such as {@link System#getenv()}
   * @return the settings
   * @throws IllegalArgumentException if a value is malformed; the message names the variable
   */
  public static WorkerSettings fromEnv(Map<String, String> env) {
    LeaderElectionConfig election =
        LeaderElectionConfig.builder()
            .leaseDuration(
                duration(env, "LEASE_DURATION", LeaderElectionConfig.DEFAULT_LEASE_DURATION))
            .renewDeadline(
                duration(env, "RENEW_DEADLINE", LeaderElectionConfig.DEFAULT_RENEW_DEADLINE))
            .retryPeriod(duration(env, "RETRY_PERIOD", LeaderElectionConfig.DEFAULT_RETRY_PERIOD))
            .closeTimeout(duration(env, "CLOSE_TIMEOUT", DEFAULT_CLOSE_TIMEOUT))
            .build();
    return new WorkerSettings(
        string(env, "LEASE_NAME", "singleton-worker"),
        blankToNull(env.get("POD_NAMESPACE")),
        string(env, "OUTPUT_CONFIGMAP", "worker-output"),
        election,
        duration(env, "WORK_INTERVAL", DEFAULT_WORK_INTERVAL),
        Boolean.parseBoolean(string(env, "LOG_RENEWALS", "false")));
  }

  private static String string(Map<String, String> env, String name, String fallback) {
    String v = blankToNull(env.get(name));
    return v == null ? fallback : v;
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /**
   * Parses {@code 15s}, {@code 500ms}, {@code 2m} or an ISO-8601 duration.
   *
   * @param text the text
   * @return the duration
   * @throws IllegalArgumentException if it is neither
   */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofSeconds(n);
      };
    }
    try {
      return Duration.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (write 15s, 500ms, 1m or PT15S)", e);
    }
  }

  private static Duration duration(Map<String, String> env, String name, Duration fallback) {
    String v = blankToNull(env.get(name));
    if (v == null) {
      return fallback;
    }
    try {
      return parseDuration(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }
}
