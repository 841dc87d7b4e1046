package dev.leaderelection.spring;

import dev.leaderelection.micrometer.LeaderElectionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The {@link LeaderElectionMetrics} of every election, as one {@link MeterBinder} bean (Spring Boot
 * binds it to each registry), and the {@link LeaderElectorCustomizer} that attaches them to the
 * electors. One metrics object per election, kept across restarts; the meters carry the tag {@code
 * lease} ({@code namespace/name}).
 */
final class LeaderElectionMeterBinder implements MeterBinder, LeaderElectorCustomizer {
  private final Map<String, LeaderElectionMetrics> byElection = new ConcurrentHashMap<>();
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    registries.add(registry);
    byElection.values().forEach(m -> m.bindTo(registry));
  }

  @Override
  public synchronized void customize(
      LeaderElection election, dev.leaderelection.core.LeaderElector.Builder builder) {
    String tag =
        election instanceof ManagedLeaderElection m
            ? m.leaseTag()
            : election.namespace().map(ns -> ns + "/").orElse("") + election.leaseName();
    LeaderElectionMetrics metrics =
        byElection.computeIfAbsent(
            election.name(),
            n -> {
              LeaderElectionMetrics created = new LeaderElectionMetrics(tag);
              registries.forEach(created::bindTo);
              return created;
            });
    builder.listener(metrics);
  }

  /** {@return the metrics of each election, by election name} */
  Map<String, LeaderElectionMetrics> metrics() {
    return Map.copyOf(byElection);
  }
}
