package dev.leaderelection.micrometer;

import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLockException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Metrics of one election, as a {@link LeaderElectionListener} to add to the elector and a {@link
 * MeterBinder} to bind to a registry (Spring Boot binds {@code MeterBinder} beans by itself). Every
 * meter carries the tag {@code lease}.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>{@code leaderelection.leader}</td><td>gauge</td>
 *       <td>1 while this process leads (validity window open), else 0</td></tr>
 *   <tr><td>{@code leaderelection.transitions}</td><td>counter</td>
 *       <td>terms this process began</td></tr>
 *   <tr><td>{@code leaderelection.losses}</td><td>counter</td>
 *       <td>terms that ended, tag {@code reason}: renew_deadline_exceeded, lost, yielded, closed</td></tr>
 *   <tr><td>{@code leaderelection.renew.latency}</td><td>timer</td>
 *       <td>time from the start of a renewal to its success</td></tr>
 *   <tr><td>{@code leaderelection.attempts}</td><td>counter</td>
 *       <td>attempts, tag {@code kind}: acquire or renew</td></tr>
 *   <tr><td>{@code leaderelection.conflicts}</td><td>counter</td>
 *       <td>writes that lost a compare-and-swap race, tag {@code operation}: create, update or
 *       release (the {@link LeaderElectionListener.Operation} in lower case)</td></tr>
 *   <tr><td>{@code leaderelection.errors}</td><td>counter</td>
 *       <td>failed calls to the lock, tags {@code operation} (get, create, update or release)
 *       and {@code reason} (the {@link LeaseLockException.Reason} in lower case, or other)</td></tr>
 *   <tr><td>{@code leaderelection.identity.conflicts}</td><td>counter</td>
 *       <td>records found naming this identity but written by another process (a shared
 *       identity: a configuration error)</td></tr>
 * </table>
 *
 * <p>{@link #bindTo} registers every meter with every value of its tags ({@code errors}: each
 * operation with each reason but {@code conflict}), at zero, so that every series exists before the
 * first event. Before it is bound, events are ignored. Thread-safe; listener methods only touch
 * meters.
 */
public final class LeaderElectionMetrics implements LeaderElectionListener, MeterBinder {
  private final String lease;
  private final Tags tags;
  private final CopyOnWriteArrayList<MeterRegistry> registries = new CopyOnWriteArrayList<>();
  private volatile @Nullable Leadership current;

  /**
   * Metrics for the election of {@code lease}.
   *
   * @param lease the value of the {@code lease} tag, such as {@code "ns/name"}
   */
  public LeaderElectionMetrics(String lease) {
    this.lease = Objects.requireNonNull(lease, "lease must not be null");
    this.tags = Tags.of("lease", lease);
  }

  /** {@return the value of the {@code lease} tag} */
  public String lease() {
    return lease;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("leaderelection.leader", this, m -> m.isLeader() ? 1 : 0)
        .tags(tags)
        .description("1 while this process leads the lease, else 0")
        .register(registry);
    // Every meter, with every value of its tags, exists from the start at zero: a dashboard or an
    // alert on a rate sees a series before the first event, not only after it.
    Counter.builder("leaderelection.transitions").tags(tags).register(registry);
    for (Leadership.EndReason reason : Leadership.EndReason.values()) {
      counter(registry, "leaderelection.losses", "reason", lower(reason));
    }
    renewLatency(registry);
    for (String kind : new String[] {"acquire", "renew"}) {
      counter(registry, "leaderelection.attempts", "kind", kind);
    }
    for (Operation operation : Operation.values()) {
      counter(registry, "leaderelection.conflicts", "operation", lower(operation));
      for (LeaseLockException.Reason reason : LeaseLockException.Reason.values()) {
        if (reason != LeaseLockException.Reason.CONFLICT) {
          errors(registry, operation, lower(reason));
        }
      }
    }
    identityConflicts(registry);
    registries.add(registry);
  }

  private Timer renewLatency(MeterRegistry registry) {
    return Timer.builder("leaderelection.renew.latency")
        .tags(tags)
        .description("time from the start of a renewal to its success")
        .register(registry);
  }

  private Counter errors(MeterRegistry registry, Operation operation, String reason) {
    return Counter.builder("leaderelection.errors")
        .tags(tags.and("operation", lower(operation), "reason", reason))
        .register(registry);
  }

  private Counter identityConflicts(MeterRegistry registry) {
    return Counter.builder("leaderelection.identity.conflicts")
        .tags(tags)
        .description("records naming this identity written by another process")
        .register(registry);
  }

  private boolean isLeader() {
    Leadership l = current;
    return l != null && l.isValid();
  }

  private void each(Consumer<MeterRegistry> action) {
    for (MeterRegistry r : registries) {
      action.accept(r);
    }
  }

  @Override
  public void onAttempt(boolean renewal) {
    each(
        r ->
            counter(r, "leaderelection.attempts", "kind", renewal ? "renew" : "acquire")
                .increment());
  }

  @Override
  public void onRenewed(Duration latency) {
    each(r -> renewLatency(r).record(latency));
  }

  @Override
  public void onConflict(Operation operation) {
    each(r -> counter(r, "leaderelection.conflicts", "operation", lower(operation)).increment());
  }

  @Override
  public void onError(Operation operation, Throwable error) {
    String reason = error instanceof LeaseLockException e ? lower(e.reason()) : "other";
    each(r -> errors(r, operation, reason).increment());
  }

  @Override
  public void onDuplicateIdentity(String identity) {
    each(r -> identityConflicts(r).increment());
  }

  @Override
  public void onLeadershipAcquired(Leadership leadership) {
    current = leadership;
    each(r -> Counter.builder("leaderelection.transitions").tags(tags).register(r).increment());
  }

  @Override
  public void onLeadershipEnded(Leadership leadership, Leadership.EndReason reason) {
    if (current == leadership) {
      current = null;
    }
    each(r -> counter(r, "leaderelection.losses", "reason", lower(reason)).increment());
  }

  /** {@return a tag value: the constant's name in lower case, such as {@code update}} */
  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  private Counter counter(MeterRegistry r, String name, String key, String value) {
    return Counter.builder(name).tags(tags.and(key, value)).register(r);
  }
}
