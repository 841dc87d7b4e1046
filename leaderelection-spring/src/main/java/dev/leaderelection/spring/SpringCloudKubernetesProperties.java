package dev.leaderelection.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Spring Cloud Kubernetes leader election properties left in an application that moved to this
 * starter. Ignored, they would make the new instances elect on another lock than the old ones still
 * running, and both would lead during the rollout.
 *
 * <ul>
 *   <li>Its Lease elector ({@code spring.cloud.kubernetes.leader.election.*}) is honoured: its lock
 *       name (default {@code spring-k8s-leader-election-lock}), lock namespace (default {@code
 *       default}) and durations become the top-level {@code leaderelection.*} settings that are not
 *       set themselves, so the new instances compete for the Lease the old ones hold. A WARN names
 *       the {@code leaderelection.*} properties to set instead.
 *   <li>Its ConfigMap elector ({@code spring.cloud.kubernetes.leader.*}) is refused: a ConfigMap
 *       lock cannot exclude a Lease holder, so no mapping avoids two leaders.
 * </ul>
 *
 * Either is ignored when its own {@code enabled} is {@code false}.
 */
final class SpringCloudKubernetesProperties {
  private static final Logger log = LoggerFactory.getLogger(SpringCloudKubernetesProperties.class);

  static final String LEASE_PREFIX = "spring.cloud.kubernetes.leader.election";
  static final String CONFIG_MAP_PREFIX = "spring.cloud.kubernetes.leader";

  /** Spring Cloud Kubernetes's default Lease name. */
  static final String DEFAULT_LOCK_NAME = "spring-k8s-leader-election-lock";

  /** Spring Cloud Kubernetes's default Lease namespace. */
  static final String DEFAULT_LOCK_NAMESPACE = "default";

  private static final List<String> LEASE_KEYS =
      List.of(
          "enabled",
          "lock-name",
          "lock-namespace",
          "lease-duration",
          "renew-deadline",
          "retry-period",
          "wait-for-pod-ready",
          "publish-events",
          "wait-after-renewal-failure",
          "restart-on-failure");

  private static final List<String> CONFIG_MAP_KEYS =
      List.of(
          "enabled",
          "auto-startup",
          "role",
          "namespace",
          "config-map-name",
          "update-period",
          "publish-failed-events",
          "leader-id-prefix");

  private SpringCloudKubernetesProperties() {}

  /**
   * Applies (or refuses) the Spring Cloud Kubernetes properties of {@code environment} to {@code
   * properties}.
   *
   * @param environment the application's environment
   * @param properties the bound {@code leaderelection.*} properties, changed in place
   * @throws LeaderElectionStartupException if the ConfigMap elector is configured
   */
  static void apply(Environment environment, LeaderElectionProperties properties) {
    Binder binder = Binder.get(environment);
    Map<String, String> configMap = found(binder, CONFIG_MAP_PREFIX, CONFIG_MAP_KEYS);
    if (!configMap.isEmpty() && !"false".equals(configMap.get("enabled"))) {
      throw new LeaderElectionStartupException(
          "Spring Cloud Kubernetes's ConfigMap leader election is configured ("
              + describe(CONFIG_MAP_PREFIX, configMap)
              + "). Instances that still run it lead by a ConfigMap, which the Lease of this"
              + " starter cannot exclude: during a rolling update both would lead.",
          "Remove the "
              + CONFIG_MAP_PREFIX
              + ".* properties, and set leaderelection.lease-name (and leaderelection.namespace"
              + " if not the pod's own) for the Lease to compete for; its role becomes an"
              + " election (leaderelection.elections.<role>.*). Roll out so that no old instance"
              + " runs beside a new one (Deployment strategy Recreate, or scale the old one to 0"
              + " first).");
    }
    Map<String, String> lease = found(binder, LEASE_PREFIX, LEASE_KEYS);
    if (lease.isEmpty() || "false".equals(lease.get("enabled"))) {
      return;
    }
    List<String> honoured = new ArrayList<>();
    List<String> instead = new ArrayList<>();
    String name = lease.getOrDefault("lock-name", DEFAULT_LOCK_NAME);
    if (isSet(binder, "leaderelection.lease-name")) {
      instead.add("leaderelection.lease-name (set: the lock name " + name + " is not used)");
    } else {
      properties.setLeaseName(name);
      honoured.add("leaderelection.lease-name=" + name);
    }
    String namespace = lease.getOrDefault("lock-namespace", DEFAULT_LOCK_NAMESPACE);
    if (isSet(binder, "leaderelection.namespace")) {
      instead.add(
          "leaderelection.namespace (set: the lock namespace " + namespace + " is not used)");
    } else {
      properties.setNamespace(namespace);
      honoured.add("leaderelection.namespace=" + namespace);
    }
    Duration leaseDuration = duration(binder, "lease-duration");
    if (leaseDuration != null && !isSet(binder, "leaderelection.lease-duration")) {
      properties.setLeaseDuration(leaseDuration);
      honoured.add("leaderelection.lease-duration=" + lease.get("lease-duration"));
    }
    Duration renewDeadline = duration(binder, "renew-deadline");
    if (renewDeadline != null && !isSet(binder, "leaderelection.renew-deadline")) {
      properties.setRenewDeadline(renewDeadline);
      honoured.add("leaderelection.renew-deadline=" + lease.get("renew-deadline"));
    }
    Duration retryPeriod = duration(binder, "retry-period");
    if (retryPeriod != null && !isSet(binder, "leaderelection.retry-period")) {
      properties.setRetryPeriod(retryPeriod);
      honoured.add("leaderelection.retry-period=" + lease.get("retry-period"));
    }
    log.warn(
        "Deprecated: Spring Cloud Kubernetes leader election properties ({}). They are honoured so"
            + " that this application competes for the Lease that instances still running Spring"
            + " Cloud Kubernetes hold: {}{}. Set {} yourself and remove the {}.* properties; the"
            + " others ({}) have no effect here.",
        describe(LEASE_PREFIX, lease),
        honoured.isEmpty() ? "nothing" : String.join(", ", honoured),
        instead.isEmpty()
            ? ""
            : "; taken from leaderelection.* instead: " + String.join(", ", instead),
        honoured.isEmpty() ? "nothing more" : String.join(", ", honoured),
        LEASE_PREFIX,
        "wait-for-pod-ready, publish-events, wait-after-renewal-failure, restart-on-failure");
  }

  private static Map<String, String> found(Binder binder, String prefix, List<String> keys) {
    Map<String, String> found = new LinkedHashMap<>();
    for (String key : keys) {
      binder
          .bind(prefix + "." + key, Bindable.of(String.class))
          .ifBound(value -> found.put(key, value));
    }
    return found;
  }

  private static boolean isSet(Binder binder, String property) {
    return binder.bind(property, Bindable.of(String.class)).isBound();
  }

  /** A duration as Spring Cloud Kubernetes binds it ({@code Duration}; a bare number is ms). */
  private static @Nullable Duration duration(Binder binder, String key) {
    return binder.bind(LEASE_PREFIX + "." + key, Bindable.of(Duration.class)).orElse(null);
  }

  private static String describe(String prefix, Map<String, String> values) {
    List<String> parts = new ArrayList<>();
    values.forEach((k, v) -> parts.add(prefix + "." + k + "=" + v));
    return String.join(", ", parts);
  }
}
