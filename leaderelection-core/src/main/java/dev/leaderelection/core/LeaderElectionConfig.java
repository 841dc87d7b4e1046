package dev.leaderelection.core;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The timing and behaviour of one election. Immutable; build it with {@link #builder()}, or take
 * {@link #defaults()}.
 *
 * <p>The three durations mean what they mean in client-go:
 *
 * <ul>
 *   <li>{@code leaseDuration} (default 15 s): how long a candidate waits, after it last saw the
 *       Lease change, before it may take it over. Written to the Lease in whole seconds.
 *   <li>{@code renewDeadline} (default 10 s): how long a term of leadership stays valid after the
 *       start of its last successful renewal. The leader stops leading at that instant.
 *   <li>{@code retryPeriod} (default 2 s): the leader renews this often; candidates try every
 *       {@code retryPeriod × [1, 2.2)}.
 * </ul>
 *
 * <p>{@code leaseDuration - renewDeadline} is the safety margin against clock-rate differences and
 * pauses; crash fail-over takes about {@code leaseDuration}.
 *
 * <p>An invalid value is refused with an {@link InvalidSettingException}, whose message names the
 * {@link Setting} by its builder method; an integration that reads the values from elsewhere (the
 * Spring starter's properties) asks it for the same message in its own names.
 */
public final class LeaderElectionConfig {

  /** Default {@code leaseDuration}: 15 s. */
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(15);

  /** Default {@code renewDeadline}: 10 s. */
  public static final Duration DEFAULT_RENEW_DEADLINE = Duration.ofSeconds(10);

  /** Default {@code retryPeriod}: 2 s. */
  public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(2);

  /**
   * The smallest {@code retryPeriod} accepted: 100 ms. The leader writes the Lease once per {@code
   * retryPeriod} and every candidate without a watch reads it as often, so a shorter period (such
   * as a bare {@code 2} read as milliseconds) loads the API server with hundreds of requests a
   * second per instance while buying no faster fail-over, which {@code leaseDuration} bounds.
   */
  public static final Duration MIN_RETRY_PERIOD = Duration.ofMillis(100);

  /**
   * Candidates wait {@code retryPeriod × [1, 1 + JITTER_FACTOR)} between attempts, as client-go.
   */
  public static final double JITTER_FACTOR = 1.2;

  private static final LeaderElectionConfig DEFAULTS = builder().build();

  private final Duration leaseDuration;
  private final Duration renewDeadline;
  private final Duration retryPeriod;
  private final boolean releaseOnClose;
  private final boolean rejoinAfterLoss;
  private final Duration closeTimeout;
  private final @Nullable String name;

  private LeaderElectionConfig(Builder b) {
    this.leaseDuration = b.leaseDuration;
    this.renewDeadline = b.renewDeadline;
    this.retryPeriod = b.retryPeriod;
    this.releaseOnClose = b.releaseOnClose;
    this.rejoinAfterLoss = b.rejoinAfterLoss;
    this.closeTimeout = b.closeTimeout != null ? b.closeTimeout : b.renewDeadline;
    this.name = b.name;
  }

  /** {@return the defaults: 15 s / 10 s / 2 s, release on close, rejoin after loss} */
  public static LeaderElectionConfig defaults() {
    return DEFAULTS;
  }

  /** {@return a builder starting from the defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return a builder starting from this configuration} */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.leaseDuration = leaseDuration;
    b.renewDeadline = renewDeadline;
    b.retryPeriod = retryPeriod;
    b.releaseOnClose = releaseOnClose;
    b.rejoinAfterLoss = rejoinAfterLoss;
    b.closeTimeout = closeTimeout;
    b.name = name;
    return b;
  }

  /** {@return how long candidates wait after last seeing the Lease change before taking it over} */
  public Duration leaseDuration() {
    return leaseDuration;
  }

  /** {@return how long a term stays valid after the start of its last successful renewal} */
  public Duration renewDeadline() {
    return renewDeadline;
  }

  /** {@return the period of renewals and the base of candidates' jittered retries} */
  public Duration retryPeriod() {
    return retryPeriod;
  }

  /**
   * Whether {@code close()} clears the Lease (if it still names this candidate) so others need not
   * wait.
   *
   * @return whether to release on close
   */
  public boolean releaseOnClose() {
    return releaseOnClose;
  }

  /**
   * Whether the elector becomes a candidate again after its leadership ends (other than by close).
   *
   * @return whether to rejoin
   */
  public boolean rejoinAfterLoss() {
    return rejoinAfterLoss;
  }

  /**
   * How long {@code close()} waits for the leader's callbacks to return before it gives up on them.
   *
   * @return the close timeout
   */
  public Duration closeTimeout() {
    return closeTimeout;
  }

  /**
   * {@return the name used in logs and metrics, if set; otherwise the lock's description is used}
   */
  public @Nullable String name() {
    return name;
  }

  @Override
  public String toString() {
    return "LeaderElectionConfig{leaseDuration="
        + format(leaseDuration)
        + ", renewDeadline="
        + format(renewDeadline)
        + ", retryPeriod="
        + format(retryPeriod)
        + ", releaseOnClose="
        + releaseOnClose
        + ", rejoinAfterLoss="
        + rejoinAfterLoss
        + ", closeTimeout="
        + format(closeTimeout)
        + (name != null ? ", name=" + name : "")
        + "}";
  }

  /**
   * Formats a duration the way validation messages show it: {@code 15s}, {@code 1.5s}, {@code
   * 250ms}.
   */
  static String format(Duration d) {
    if (d.isNegative() || d.compareTo(Duration.ofSeconds(1)) >= 0 || d.isZero()) {
      BigDecimal seconds =
          BigDecimal.valueOf(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9));
      return seconds.stripTrailingZeros().toPlainString() + "s";
    }
    BigDecimal millis = BigDecimal.valueOf(d.toNanos(), 6);
    return millis.stripTrailingZeros().toPlainString() + "ms";
  }

  /** A setting of the configuration, as validation messages name it. */
  public enum Setting {
    /** {@code leaseDuration}: see {@link Builder#leaseDuration(Duration)}. */
    LEASE_DURATION("leaseDuration"),
    /** {@code renewDeadline}: see {@link Builder#renewDeadline(Duration)}. */
    RENEW_DEADLINE("renewDeadline"),
    /** {@code retryPeriod}: see {@link Builder#retryPeriod(Duration)}. */
    RETRY_PERIOD("retryPeriod"),
    /** {@code closeTimeout}: see {@link Builder#closeTimeout(Duration)}. */
    CLOSE_TIMEOUT("closeTimeout"),
    /** {@code name}: see {@link Builder#name(String)}. */
    NAME("name");

    private final String fieldName;

    Setting(String fieldName) {
      this.fieldName = fieldName;
    }

    /** {@return the name of the builder method that sets it, such as {@code leaseDuration}} */
    public String fieldName() {
      return fieldName;
    }
  }

  /**
   * A value, or a combination of values, that breaks a rule of the configuration. The message names
   * the settings by their builder methods and gives the values, such as {@code "leaseDuration must
   * be greater than renewDeadline; got leaseDuration=10s, renewDeadline=10s"}; {@link
   * #messageNaming} gives the same message with other names for the settings.
   */
  public static final class InvalidSettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The setting whose value is refused. */
    private final Setting setting;

    /** The message: {@link String}s and {@link Setting}s, concatenated with a name for each. */
    private final List<Object> parts;

    private InvalidSettingException(Setting setting, List<Object> parts) {
      super(render(parts, Setting::fieldName));
      this.setting = setting;
      this.parts = parts;
    }

    /** {@return the setting whose rule is broken (the first one the message names)} */
    public Setting setting() {
      return setting;
    }

    /**
     * The message with other names for the settings, such as the properties they were read from:
     * {@code "app.lease-duration must be greater than app.renew-deadline; got
     * app.lease-duration=10s, app.renew-deadline=10s"}.
     *
     * @param names the name to give each setting
     * @return the message
     */
    public String messageNaming(Function<Setting, String> names) {
      Objects.requireNonNull(names, "names must not be null");
      return render(parts, names);
    }

    private static String render(List<Object> parts, Function<Setting, String> names) {
      StringBuilder b = new StringBuilder();
      for (Object p : parts) {
        b.append(p instanceof Setting s ? names.apply(s) : p);
      }
      return b.toString();
    }
  }

  /**
   * {@return the refusal of a value: {@code parts} are the message, {@link String}s and {@link
   * Setting}s}
   */
  private static InvalidSettingException invalid(Setting setting, Object... parts) {
    return new InvalidSettingException(setting, List.of(parts));
  }

  /**
   * Builds a {@link LeaderElectionConfig}. Each setter checks its own value at once; {@link
   * #build()} checks the rules between values. Every message names the field, the rule and the
   * value given.
   */
  public static final class Builder {
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration renewDeadline = DEFAULT_RENEW_DEADLINE;
    private Duration retryPeriod = DEFAULT_RETRY_PERIOD;
    private boolean releaseOnClose = true;
    private boolean rejoinAfterLoss = true;
    private @Nullable Duration closeTimeout;
    private @Nullable String name;

    private Builder() {}

    /**
     * Sets {@code leaseDuration} (default 15 s). Must be a whole number of seconds, at least 1 s,
     * because the Lease stores whole seconds.
     *
     * @param leaseDuration the duration
     * @return this builder
     * @throws InvalidSettingException if the value is not positive or not whole seconds
     */
    public Builder leaseDuration(Duration leaseDuration) {
      Objects.requireNonNull(leaseDuration, "leaseDuration must not be null");
      requirePositive(Setting.LEASE_DURATION, leaseDuration);
      if (leaseDuration.toNanosPart() != 0) {
        throw invalid(
            Setting.LEASE_DURATION,
            Setting.LEASE_DURATION,
            " must be a whole number of seconds, because the Lease stores whole seconds"
                + " (leaseDurationSeconds); got "
                + format(leaseDuration));
      }
      this.leaseDuration = leaseDuration;
      return this;
    }

    /**
     * Sets {@code renewDeadline} (default 10 s).
     *
     * @param renewDeadline the duration
     * @return this builder
     * @throws InvalidSettingException if the value is not positive
     */
    public Builder renewDeadline(Duration renewDeadline) {
      Objects.requireNonNull(renewDeadline, "renewDeadline must not be null");
      requirePositive(Setting.RENEW_DEADLINE, renewDeadline);
      this.renewDeadline = renewDeadline;
      return this;
    }

    /**
     * Sets {@code retryPeriod} (default 2 s), at least {@link #MIN_RETRY_PERIOD} (100 ms).
     *
     * @param retryPeriod the duration
     * @return this builder
     * @throws InvalidSettingException if the value is not positive, or below 100 ms (the message
     *     gives the write rate it would cause)
     */
    public Builder retryPeriod(Duration retryPeriod) {
      Objects.requireNonNull(retryPeriod, "retryPeriod must not be null");
      requirePositive(Setting.RETRY_PERIOD, retryPeriod);
      if (retryPeriod.compareTo(MIN_RETRY_PERIOD) < 0) {
        long perSecond = Math.round(1e9 / retryPeriod.toNanos());
        throw invalid(
            Setting.RETRY_PERIOD,
            Setting.RETRY_PERIOD,
            " must be at least "
                + format(MIN_RETRY_PERIOD)
                + "; got "
                + format(retryPeriod)
                + ", which would make the leader write the Lease about "
                + perSecond
                + " times a second (and every candidate without a watch read it as often). Use "
                + format(DEFAULT_RETRY_PERIOD)
                + " (the default) unless you need faster hand-over; a bare number given as"
                + " milliseconds is the usual cause");
      }
      this.retryPeriod = retryPeriod;
      return this;
    }

    /**
     * Sets whether {@code close()} releases the Lease (default {@code true}). Release re-reads the
     * Lease and clears it only if it still names this candidate; it happens after the leader's
     * callbacks have returned, so the next leader never overlaps this one's work.
     *
     * @param releaseOnClose whether to release
     * @return this builder
     */
    public Builder releaseOnClose(boolean releaseOnClose) {
      this.releaseOnClose = releaseOnClose;
      return this;
    }

    /**
     * Sets whether the elector competes again after losing leadership (default {@code true}).
     * client-go's elector never does; a single-use elector has left applications with no leader
     * (fabric8 #5635), so this library rejoins unless told not to.
     *
     * @param rejoinAfterLoss whether to rejoin
     * @return this builder
     */
    public Builder rejoinAfterLoss(boolean rejoinAfterLoss) {
      this.rejoinAfterLoss = rejoinAfterLoss;
      return this;
    }

    /**
     * Sets how long {@code close()} waits for the leader's callbacks to return (default: {@code
     * renewDeadline}). If they do not return in time, close does not release the Lease, so the next
     * leader waits a full {@code leaseDuration} instead of overlapping work that is still running.
     *
     * @param closeTimeout the duration; zero means do not wait
     * @return this builder
     * @throws InvalidSettingException if negative
     */
    public Builder closeTimeout(Duration closeTimeout) {
      Objects.requireNonNull(closeTimeout, "closeTimeout must not be null");
      if (closeTimeout.isNegative()) {
        throw invalid(
            Setting.CLOSE_TIMEOUT,
            Setting.CLOSE_TIMEOUT,
            " must not be negative; got " + format(closeTimeout));
      }
      this.closeTimeout = closeTimeout;
      return this;
    }

    /**
     * Sets the name used in logs and metrics (default: the lock's description).
     *
     * @param name a non-blank name
     * @return this builder
     * @throws InvalidSettingException if blank
     */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name must not be null");
      if (name.isBlank()) {
        throw invalid(Setting.NAME, Setting.NAME, " must not be blank; got '" + name + "'");
      }
      this.name = name;
      return this;
    }

    /**
     * Checks the rules between the values, in client-go's order, and builds the configuration.
     *
     * @return the configuration
     * @throws InvalidSettingException naming the rule broken and the values given
     */
    public LeaderElectionConfig build() {
      if (leaseDuration.compareTo(renewDeadline) <= 0) {
        throw invalid(
            Setting.LEASE_DURATION,
            Setting.LEASE_DURATION,
            " must be greater than ",
            Setting.RENEW_DEADLINE,
            "; got ",
            Setting.LEASE_DURATION,
            "=" + format(leaseDuration) + ", ",
            Setting.RENEW_DEADLINE,
            "=" + format(renewDeadline));
      }
      Duration jittered =
          Duration.ofNanos(
              BigDecimal.valueOf(retryPeriod.toNanos())
                  .multiply(BigDecimal.valueOf(JITTER_FACTOR))
                  .longValue());
      if (renewDeadline.compareTo(jittered) <= 0) {
        throw invalid(
            Setting.RENEW_DEADLINE,
            Setting.RENEW_DEADLINE,
            " must be greater than ",
            Setting.RETRY_PERIOD,
            "*JitterFactor (" + JITTER_FACTOR + "); got ",
            Setting.RENEW_DEADLINE,
            "=" + format(renewDeadline) + ", ",
            Setting.RETRY_PERIOD,
            "*" + JITTER_FACTOR + "=" + format(jittered));
      }
      return new LeaderElectionConfig(this);
    }

    private static void requirePositive(Setting setting, Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw invalid(setting, setting, " must be greater than zero; got " + format(value));
      }
    }
  }
}
