package dev.leaderelection.spring;

import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.core.kubernetes.LeaseNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LeaderElections} of {@code leaderelection.enabled=false}: the configured elections, by
 * name, none of which ever leads. No Lease is read or written and no Kubernetes client is created;
 * {@link LeaderOnly} work is skipped on every instance, so that switching the election off never
 * turns leader-only work into every instance's work. Warns at creation what that means.
 */
final class DisabledLeaderElections implements LeaderElections {
  private static final Logger log = LoggerFactory.getLogger(DisabledLeaderElections.class);

  private final Map<String, LeaderElection> byName = new LinkedHashMap<>();

  DisabledLeaderElections(LeaderElectionProperties p, @Nullable String applicationName) {
    String configured = p.getIdentity();
    String identity =
        configured != null && !configured.isBlank()
            ? configured.trim()
            : LeaseIdentity.defaultIdentity();
    String base = p.getLeaseName();
    if ((base == null || base.isBlank()) && applicationName != null) {
      base = LeaseNames.fromText(applicationName);
    }
    String top = base == null ? "" : base.trim();
    List<String> names = new ArrayList<>(p.getElections().keySet());
    if (names.isEmpty()) {
      names.add(LeaderElectionProperties.DEFAULT_ELECTION);
    }
    for (String name : names) {
      LeaderElectionProperties.Election e = p.getElections().get(name);
      String own = e != null ? e.getLeaseName() : null;
      String ownNamespace = e != null ? e.getNamespace() : null;
      String lease;
      if (own != null && !own.isBlank()) {
        lease = own.trim();
      } else if (name.equals(LeaderElectionProperties.DEFAULT_ELECTION) || top.isEmpty()) {
        lease = top;
      } else {
        lease = top + "-" + name;
      }
      String ns = ownNamespace != null ? ownNamespace : p.getNamespace();
      byName.put(name, new Disabled(name, lease, ns, identity));
    }
    log.warn(
        "leaderelection.enabled=false: this application takes part in no leader election and never"
            + " leads. @LeaderOnly methods are skipped on every instance, LeaderElection.isLeader()"
            + " is always false and no leader events are published (elections: {}). To run without"
            + " a cluster as the only instance, and lead, set leaderelection.mode=local instead;"
            + " remove leaderelection.enabled=false to elect a leader.",
        String.join(", ", byName.keySet()));
  }

  @Override
  public List<LeaderElection> all() {
    return List.copyOf(byName.values());
  }

  @Override
  public String toString() {
    return "DisabledLeaderElections"
        + byName.values().stream().map(LeaderElection::name).collect(Collectors.toList());
  }

  /** One election that is switched off: it never leads and never sees a leader. */
  static final class Disabled implements LeaderElection {
    private final String name;
    private final String leaseName;
    private final @Nullable String namespace;
    private final String identity;

    Disabled(String name, String leaseName, @Nullable String namespace, String identity) {
      this.name = name;
      this.leaseName = leaseName;
      this.namespace = namespace;
      this.identity = identity;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String leaseName() {
      return leaseName;
    }

    @Override
    public Optional<String> namespace() {
      return Optional.ofNullable(namespace);
    }

    @Override
    public String identity() {
      return identity;
    }

    @Override
    public boolean isLeader() {
      return false;
    }

    @Override
    public Optional<String> currentLeader() {
      return Optional.empty();
    }

    @Override
    public Optional<Leadership> currentLeadership() {
      return Optional.empty();
    }

    /** {@return empty at once: a disabled election never leads} */
    @Override
    public Optional<Leadership> awaitLeadership(Duration timeout) {
      return Optional.empty();
    }

    @Override
    public boolean yieldLeadership() {
      return false;
    }

    @Override
    public String toString() {
      return "LeaderElection[" + name + ", disabled]";
    }
  }
}
