package dev.leaderelection.spring;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DurationUnit;

/**
 * Leader election settings, prefix {@code leaderelection}.
 *
 * <p>Without {@code leaderelection.elections}, the application takes part in one election, named
 * {@code default}, configured by the top-level properties. With it, the application takes part in
 * exactly the named elections; each of their settings defaults to the top-level one, and the lease
 * name of election {@code <name>} defaults to {@code <lease-name>-<name>} (the election named
 * {@code default} takes {@code <lease-name>} itself).
 *
 * <p>The three durations are {@code Duration}s ({@code 15s}, {@code 500ms}, {@code PT15S}); a bare
 * number is seconds, as every Kubernetes elector's users write them. They follow client-go: {@code
 * lease-duration > renew-deadline > 1.2 × retry-period}, {@code lease-duration} is a whole number
 * of seconds, and {@code retry-period} is at least 100 ms. A leader stops leading at the latest
 * {@code renew-deadline} after the start of its last successful renewal; a crashed leader is
 * replaced after about {@code lease-duration}; a leader that shuts down releases the Lease and is
 * replaced at once.
 */
@ConfigurationProperties("leaderelection")
public class LeaderElectionProperties {

  /** The name of the election configured by the top-level properties. */
  public static final String DEFAULT_ELECTION = "default";

  /**
   * Whether to take part in leader election. When false, no Lease is used and this instance never
   * leads: @LeaderOnly methods are skipped (on every instance); use mode=local to run alone and
   * lead.
   */
  private boolean enabled = true;

  /**
   * How to elect: "kubernetes" competes for a Lease in the cluster; "local" uses an in-memory lease
   * that this process always wins, for running without a cluster (it logs a warning that it is not
   * electing).
   */
  private Mode mode = Mode.KUBERNETES;

  /**
   * Name of the Lease. Defaults to spring.application.name (lower-cased, other characters than
   * letters, digits, '-' and '.' replaced by '-').
   */
  private @Nullable String leaseName;

  /**
   * Namespace of the Lease. Defaults to the pod's own namespace, then (fabric8 only) to the
   * namespace of the Kubernetes client's configuration (kubeconfig context); with client-java,
   * whose ApiClient carries no namespace, it must be set outside a pod.
   */
  private @Nullable String namespace;

  /**
   * Which Kubernetes client the Leases go through when both are on the class path: "fabric8" (a
   * KubernetesClient) or "client-java" (the official client's ApiClient). Unset: the client whose
   * bean the application defines, else fabric8.
   */
  private @Nullable Client kubernetesClient;

  /**
   * Identity this process writes into the Lease as holder; must be unique among the candidates.
   * Defaults to the pod name (POD_NAME, then HOSTNAME) plus a random suffix, new in every process.
   */
  private @Nullable String identity;

  /**
   * How long candidates wait, after they last saw the Lease change, before taking it over; whole
   * seconds. About how long a crashed leader takes to be replaced. A bare number is seconds.
   */
  @DurationUnit(ChronoUnit.SECONDS)
  private Duration leaseDuration = Duration.ofSeconds(15);

  /**
   * How long leadership stays valid after the start of the last successful renewal; the leader
   * stops leading when it passes. Must be less than the lease duration. A bare number is seconds.
   */
  @DurationUnit(ChronoUnit.SECONDS)
  private Duration renewDeadline = Duration.ofSeconds(10);

  /**
   * How often the leader renews the Lease; candidates retry every 1 to 2.2 times this. Must be less
   * than the renew deadline divided by 1.2, and at least 100ms. A bare number is seconds.
   */
  @DurationUnit(ChronoUnit.SECONDS)
  private Duration retryPeriod = Duration.ofSeconds(2);

  /**
   * Whether to release the Lease on shutdown, after leader work stopped, so that another instance
   * takes over at once instead of after the lease duration.
   */
  private boolean releaseOnShutdown = true;

  /** Whether to compete again after losing leadership (other than by yielding or shutting down). */
  private boolean rejoinAfterLoss = true;

  /**
   * Start-up check of this process's RBAC permissions on Leases (a SelfSubjectAccessReview per
   * verb): "fail" stops the start-up when get, create or update is missing, "warn" only logs, "off"
   * skips the check. Missing list or watch only ever warns: the election then polls.
   */
  private RbacCheck rbacCheck = RbacCheck.FAIL;

  /**
   * Whether the leaderElection health indicator reports DOWN while an election's calls to the API
   * server have failed for longer than its lease duration. Off by default: an API server outage
   * would turn every replica DOWN at once, and restart them all if the indicator is in a liveness
   * group, which fixes nothing. The last error and since when are in the health details either way.
   */
  private boolean healthDownOnError;

  /**
   * Named elections, each overriding the top-level settings. When any is configured, the
   * application takes part in these elections only.
   */
  private Map<String, Election> elections = new LinkedHashMap<>();

  /** {@return whether to take part in leader election} */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Sets whether to take part in leader election.
   *
   * @param enabled whether enabled
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** {@return how to elect} */
  public Mode getMode() {
    return mode;
  }

  /**
   * Sets how to elect.
   *
   * @param mode the mode
   */
  public void setMode(Mode mode) {
    this.mode = mode;
  }

  /** {@return the name of the Lease, if set} */
  public @Nullable String getLeaseName() {
    return leaseName;
  }

  /**
   * Sets the name of the Lease.
   *
   * @param leaseName the name
   */
  public void setLeaseName(@Nullable String leaseName) {
    this.leaseName = leaseName;
  }

  /** {@return the namespace of the Lease, if set} */
  public @Nullable String getNamespace() {
    return namespace;
  }

  /**
   * Sets the namespace of the Lease.
   *
   * @param namespace the namespace
   */
  public void setNamespace(@Nullable String namespace) {
    this.namespace = namespace;
  }

  /** {@return the identity of this process, if set} */
  public @Nullable String getIdentity() {
    return identity;
  }

  /**
   * Sets the identity of this process.
   *
   * @param identity the identity
   */
  public void setIdentity(@Nullable String identity) {
    this.identity = identity;
  }

  /** {@return the lease duration} */
  public Duration getLeaseDuration() {
    return leaseDuration;
  }

  /**
   * Sets the lease duration.
   *
   * @param leaseDuration the duration
   */
  public void setLeaseDuration(Duration leaseDuration) {
    this.leaseDuration = leaseDuration;
  }

  /** {@return the renew deadline} */
  public Duration getRenewDeadline() {
    return renewDeadline;
  }

  /**
   * Sets the renew deadline.
   *
   * @param renewDeadline the duration
   */
  public void setRenewDeadline(Duration renewDeadline) {
    this.renewDeadline = renewDeadline;
  }

  /** {@return the retry period} */
  public Duration getRetryPeriod() {
    return retryPeriod;
  }

  /**
   * Sets the retry period.
   *
   * @param retryPeriod the duration
   */
  public void setRetryPeriod(Duration retryPeriod) {
    this.retryPeriod = retryPeriod;
  }

  /** {@return whether to release the Lease on shutdown} */
  public boolean isReleaseOnShutdown() {
    return releaseOnShutdown;
  }

  /**
   * Sets whether to release the Lease on shutdown.
   *
   * @param releaseOnShutdown whether to release
   */
  public void setReleaseOnShutdown(boolean releaseOnShutdown) {
    this.releaseOnShutdown = releaseOnShutdown;
  }

  /** {@return whether to compete again after losing leadership} */
  public boolean isRejoinAfterLoss() {
    return rejoinAfterLoss;
  }

  /**
   * Sets whether to compete again after losing leadership.
   *
   * @param rejoinAfterLoss whether to rejoin
   */
  public void setRejoinAfterLoss(boolean rejoinAfterLoss) {
    this.rejoinAfterLoss = rejoinAfterLoss;
  }

  /** {@return what the start-up RBAC check does} */
  public RbacCheck getRbacCheck() {
    return rbacCheck;
  }

  /**
   * Sets what the start-up RBAC check does.
   *
   * @param rbacCheck fail, warn or off
   */
  public void setRbacCheck(RbacCheck rbacCheck) {
    this.rbacCheck = rbacCheck;
  }

  /** {@return whether health is DOWN while calls keep failing} */
  public boolean isHealthDownOnError() {
    return healthDownOnError;
  }

  /**
   * Sets whether health is DOWN while calls keep failing.
   *
   * @param healthDownOnError whether to report DOWN
   */
  public void setHealthDownOnError(boolean healthDownOnError) {
    this.healthDownOnError = healthDownOnError;
  }

  /**
   * {@return the Kubernetes client chosen explicitly, or {@code null} to let the starter choose}
   */
  public @Nullable Client getKubernetesClient() {
    return kubernetesClient;
  }

  /**
   * Sets the Kubernetes client the Leases go through.
   *
   * @param kubernetesClient fabric8 or client-java; {@code null} to let the starter choose
   */
  public void setKubernetesClient(@Nullable Client kubernetesClient) {
    this.kubernetesClient = kubernetesClient;
  }

  /** {@return the named elections, by name} */
  public Map<String, Election> getElections() {
    return elections;
  }

  /**
   * Sets the named elections.
   *
   * @param elections the elections, by name
   */
  public void setElections(Map<String, Election> elections) {
    this.elections = elections;
  }

  /** How to elect. */
  public enum Mode {
    /** Compete for a {@code coordination.k8s.io/v1} Lease through the Kubernetes API. */
    KUBERNETES,
    /**
     * Use an in-memory lease that this process always wins: no election takes place. For running
     * without a cluster (development, tests); logs a warning at start-up.
     */
    LOCAL
  }

  /** The Kubernetes client that the Leases go through. */
  public enum Client {
    /** fabric8's {@code KubernetesClient}, with {@code leaderelection-fabric8}. */
    FABRIC8,
    /**
     * The official client's {@code ApiClient} ({@code io.kubernetes:client-java}), with {@code
     * leaderelection-client-java}.
     */
    CLIENT_JAVA;

    /** {@return the value as the property is written: {@code fabric8} or {@code client-java}} */
    String value() {
      return this == FABRIC8 ? "fabric8" : "client-java";
    }
  }

  /** What the start-up RBAC check does. */
  public enum RbacCheck {
    /** Stop the start-up when get, create or update on the Lease is not allowed. */
    FAIL,
    /** Log a warning when a verb is not allowed, and start anyway. */
    WARN,
    /** Do not check. */
    OFF
  }

  /** One named election; every setting not given takes the top-level one. */
  public static class Election {

    /**
     * Name of the Lease. Defaults to the top-level lease name followed by '-' and the election's
     * name (for the election named "default": the top-level lease name).
     */
    private @Nullable String leaseName;

    /** Namespace of the Lease. Defaults to leaderelection.namespace. */
    private @Nullable String namespace;

    /** Identity of this process in this election. Defaults to leaderelection.identity. */
    private @Nullable String identity;

    /**
     * Lease duration of this election. Defaults to leaderelection.lease-duration. A bare number is
     * seconds.
     */
    @DurationUnit(ChronoUnit.SECONDS)
    private @Nullable Duration leaseDuration;

    /**
     * Renew deadline of this election. Defaults to leaderelection.renew-deadline. A bare number is
     * seconds.
     */
    @DurationUnit(ChronoUnit.SECONDS)
    private @Nullable Duration renewDeadline;

    /**
     * Retry period of this election, at least 100ms. Defaults to leaderelection.retry-period. A
     * bare number is seconds.
     */
    @DurationUnit(ChronoUnit.SECONDS)
    private @Nullable Duration retryPeriod;

    /**
     * Whether to release this election's Lease on shutdown. Defaults to
     * leaderelection.release-on-shutdown.
     */
    private @Nullable Boolean releaseOnShutdown;

    /**
     * Whether to compete again after losing this election. Defaults to
     * leaderelection.rejoin-after-loss.
     */
    private @Nullable Boolean rejoinAfterLoss;

    /** {@return the name of the Lease, if set} */
    public @Nullable String getLeaseName() {
      return leaseName;
    }

    /**
     * Sets the name of the Lease.
     *
     * @param leaseName the name
     */
    public void setLeaseName(@Nullable String leaseName) {
      this.leaseName = leaseName;
    }

    /** {@return the namespace of the Lease, if set} */
    public @Nullable String getNamespace() {
      return namespace;
    }

    /**
     * Sets the namespace of the Lease.
     *
     * @param namespace the namespace
     */
    public void setNamespace(@Nullable String namespace) {
      this.namespace = namespace;
    }

    /** {@return the identity, if set} */
    public @Nullable String getIdentity() {
      return identity;
    }

    /**
     * Sets the identity.
     *
     * @param identity the identity
     */
    public void setIdentity(@Nullable String identity) {
      this.identity = identity;
    }

    /** {@return the lease duration, if set} */
    public @Nullable Duration getLeaseDuration() {
      return leaseDuration;
    }

    /**
     * Sets the lease duration.
     *
     * @param leaseDuration the duration
     */
    public void setLeaseDuration(@Nullable Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    /** {@return the renew deadline, if set} */
    public @Nullable Duration getRenewDeadline() {
      return renewDeadline;
    }

    /**
     * Sets the renew deadline.
     *
     * @param renewDeadline the duration
     */
    public void setRenewDeadline(@Nullable Duration renewDeadline) {
      this.renewDeadline = renewDeadline;
    }

    /** {@return the retry period, if set} */
    public @Nullable Duration getRetryPeriod() {
      return retryPeriod;
    }

    /**
     * Sets the retry period.
     *
     * @param retryPeriod the duration
     */
    public void setRetryPeriod(@Nullable Duration retryPeriod) {
      this.retryPeriod = retryPeriod;
    }

    /** {@return whether to release the Lease on shutdown, if set} */
    public @Nullable Boolean getReleaseOnShutdown() {
      return releaseOnShutdown;
    }

    /**
     * Sets whether to release the Lease on shutdown.
     *
     * @param releaseOnShutdown whether to release
     */
    public void setReleaseOnShutdown(@Nullable Boolean releaseOnShutdown) {
      this.releaseOnShutdown = releaseOnShutdown;
    }

    /** {@return whether to compete again after losing leadership, if set} */
    public @Nullable Boolean getRejoinAfterLoss() {
      return rejoinAfterLoss;
    }

    /**
     * Sets whether to compete again after losing leadership.
     *
     * @param rejoinAfterLoss whether to rejoin
     */
    public void setRejoinAfterLoss(@Nullable Boolean rejoinAfterLoss) {
      this.rejoinAfterLoss = rejoinAfterLoss;
    }
  }
}
