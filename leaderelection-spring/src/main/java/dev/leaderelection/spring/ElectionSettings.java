package dev.leaderelection.spring;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.kubernetes.LeaseNames;
import dev.leaderelection.spring.LeaderElectionProperties.Election;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One election's settings, resolved from {@link LeaderElectionProperties}: defaults applied,
 * validated once, with messages that name the property to fix.
 *
 * @param name the election's name
 * @param prefix the property prefix that configures it ({@code leaderelection} or {@code
 *     leaderelection.elections.<name>})
 * @param leaseName the Lease's name
 * @param namespace the Lease's namespace, if configured
 * @param identity this process's identity in the election
 * @param config the timing and behaviour
 */
record ElectionSettings(
    String name,
    String prefix,
    String leaseName,
    @Nullable String namespace,
    String identity,
    LeaderElectionConfig config) {

  private static final String ROOT = "leaderelection";

  /** {@return the request handed to the {@link LeaseLockFactory}} */
  LeaseLockRequest lockRequest() {
    return new LeaseLockRequest(name, leaseName, namespace, identity);
  }

  /**
   * Resolves every election.
   *
   * @param p the bound properties
   * @param applicationName {@code spring.application.name}, if set
   * @param defaultIdentity the identity of this process when none is configured
   * @return the elections, in the order configured
   * @throws LeaderElectionStartupException naming the property that is missing or invalid
   */
  static List<ElectionSettings> resolve(
      LeaderElectionProperties p, @Nullable String applicationName, String defaultIdentity) {
    List<ElectionSettings> result = new ArrayList<>();
    if (p.getElections().isEmpty()) {
      result.add(
          resolve(
              LeaderElectionProperties.DEFAULT_ELECTION,
              ROOT,
              new Election(),
              p,
              applicationName,
              defaultIdentity));
      return result;
    }
    for (Map.Entry<String, Election> e : p.getElections().entrySet()) {
      String name = e.getKey();
      Election election = e.getValue() != null ? e.getValue() : new Election();
      result.add(
          resolve(
              name, ROOT + ".elections." + name, election, p, applicationName, defaultIdentity));
    }
    return result;
  }

  private static ElectionSettings resolve(
      String name,
      String prefix,
      Election e,
      LeaderElectionProperties p,
      @Nullable String applicationName,
      String defaultIdentity) {
    String leaseName = leaseName(name, prefix, e, p, applicationName);
    String namespace = firstNonBlank(e.getNamespace(), p.getNamespace());
    String identity = firstNonBlank(e.getIdentity(), p.getIdentity());
    if (identity == null) {
      identity = defaultIdentity;
    }
    Duration lease = e.getLeaseDuration() != null ? e.getLeaseDuration() : p.getLeaseDuration();
    Duration renew = e.getRenewDeadline() != null ? e.getRenewDeadline() : p.getRenewDeadline();
    Duration retry = e.getRetryPeriod() != null ? e.getRetryPeriod() : p.getRetryPeriod();
    boolean release =
        e.getReleaseOnShutdown() != null ? e.getReleaseOnShutdown() : p.isReleaseOnShutdown();
    boolean rejoin =
        e.getRejoinAfterLoss() != null ? e.getRejoinAfterLoss() : p.isRejoinAfterLoss();
    LeaderElectionConfig config;
    try {
      config =
          LeaderElectionConfig.builder()
              .leaseDuration(lease)
              .renewDeadline(renew)
              .retryPeriod(retry)
              .releaseOnClose(release)
              .rejoinAfterLoss(rejoin)
              .build();
    } catch (LeaderElectionConfig.InvalidSettingException ex) {
      String where =
          prefix.equals(ROOT) ? "" : " (defaults: the same properties under " + ROOT + ")";
      throw new LeaderElectionStartupException(
          "Invalid timing for leader election '"
              + name
              + "': "
              + ex.messageNaming(setting -> property(prefix, setting))
              + ".",
          "Change "
              + prefix
              + ".lease-duration, .renew-deadline or .retry-period"
              + where
              + " so that lease-duration > renew-deadline > "
              + LeaderElectionConfig.JITTER_FACTOR
              + " × retry-period, with lease-duration in whole seconds and retry-period at"
              + " least "
              + LeaderElectionConfig.MIN_RETRY_PERIOD.toMillis()
              + "ms"
              + " (a bare number is seconds); for example 15s, 10s and 2s.",
          ex);
    }
    return new ElectionSettings(name, prefix, leaseName, namespace, identity, config);
  }

  private static String leaseName(
      String name,
      String prefix,
      Election e,
      LeaderElectionProperties p,
      @Nullable String applicationName) {
    String explicit = firstNonBlank(e.getLeaseName());
    if (explicit != null) {
      return checkLeaseName(explicit, prefix + ".lease-name");
    }
    String base;
    String from;
    String top = firstNonBlank(p.getLeaseName());
    if (top != null) {
      base = checkLeaseName(top, ROOT + ".lease-name");
      from = ROOT + ".lease-name";
    } else {
      String app = firstNonBlank(applicationName);
      if (app == null) {
        String named =
            prefix.equals(ROOT) ? "" : " (or " + prefix + ".lease-name for this election)";
        throw new LeaderElectionStartupException(
            "Leader election '"
                + name
                + "' has no Lease name: neither "
                + ROOT
                + ".lease-name nor spring.application.name is set.",
            "Set spring.application.name, or "
                + ROOT
                + ".lease-name"
                + named
                + ", to the name of the Lease the instances of this application compete for;"
                + " or set "
                + ROOT
                + ".enabled=false.");
      }
      base = sanitize(app, name);
      from = "spring.application.name";
    }
    if (prefix.equals(ROOT) || name.equals(LeaderElectionProperties.DEFAULT_ELECTION)) {
      return base;
    }
    String derived = base + "-" + sanitize(name, name);
    if (!LeaseNames.isValidName(derived)) {
      throw new LeaderElectionStartupException(
          "The Lease name '"
              + derived
              + "' derived for leader election '"
              + name
              + "' from "
              + from
              + " is not a valid Lease name.",
          "Set " + prefix + ".lease-name to " + LeaseNames.NAME_RULE + ".");
    }
    return derived;
  }

  private static String checkLeaseName(String value, String property) {
    if (!LeaseNames.isValidName(value)) {
      throw new LeaderElectionStartupException(
          property + "='" + value + "' is not a valid Lease name.",
          "Set " + property + " to " + LeaseNames.NAME_RULE + ".");
    }
    return value;
  }

  /** Lower-cases and replaces what a DNS subdomain does not allow, as a Lease name needs. */
  private static String sanitize(String value, String election) {
    String s = LeaseNames.fromText(value);
    if (s == null) {
      throw new LeaderElectionStartupException(
          "No valid Lease name can be derived from '"
              + value
              + "' for leader election '"
              + election
              + "'.",
          "Set " + ROOT + ".lease-name explicitly.");
    }
    return s;
  }

  /**
   * {@return the property under {@code prefix} that sets {@code setting}, as validation messages
   * name it: {@code prefix.lease-duration}; a setting the properties do not set keeps its name}
   */
  private static String property(String prefix, LeaderElectionConfig.Setting setting) {
    return switch (setting) {
      case LEASE_DURATION -> prefix + ".lease-duration";
      case RENEW_DEADLINE -> prefix + ".renew-deadline";
      case RETRY_PERIOD -> prefix + ".retry-period";
      case CLOSE_TIMEOUT, NAME -> setting.fieldName();
    };
  }

  private static @Nullable String firstNonBlank(@Nullable String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }
}
