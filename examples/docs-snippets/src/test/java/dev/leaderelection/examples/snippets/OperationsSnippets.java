package dev.leaderelection.examples.snippets;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import dev.leaderelection.micrometer.LeaderElectionMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/** Snippets of docs/operations.md. Compiled, never run. */
@SuppressWarnings("unused")
final class OperationsSnippets {

  void metrics(KubernetesClient client, MeterRegistry registry, LeaderCallbacks callbacks) {
    // tag::metrics[]
    KubernetesLeaseLock lock = KubernetesLeaseLock.builder(client).name("my-controller").build();
    LeaderElectionMetrics metrics =
        new LeaderElectionMetrics(lock.namespace() + "/" + lock.name()); // the "lease" tag
    metrics.bindTo(registry); // Spring Boot binds MeterBinder beans by itself
    LeaderElector elector =
        LeaderElector.builder(lock).callbacks(callbacks).listener(metrics).build();
    // end::metrics[]
  }

  List<LeaderElector> manyLeases(KubernetesClient client) {
    // tag::many-leases[]
    // One client, one scheduler thread (Scheduler.shared()), any number of elections.
    List<LeaderElector> electors = new ArrayList<>();
    for (int shard = 0; shard < 16; shard++) {
      KubernetesLeaseLock lock =
          KubernetesLeaseLock.builder(client).name("orders-shard-" + shard).build();
      LeaderElector elector = LeaderElector.builder(lock).callbacks(workFor(shard)).build();
      elector.start();
      electors.add(elector);
    }
    // On shutdown: electors.forEach(LeaderElector::close);
    // end::many-leases[]
    return electors;
  }

  boolean health(LeaderElector elector) {
    // tag::plain-health[]
    // Liveness: the elector runs. Never make readiness depend on isLeader(): followers would be
    // taken out of service, and a rolling update can deadlock waiting for the leader to go.
    boolean alive = elector.state() == LeaderElector.State.STARTED;
    // Role, for a status page or a metric: answered from the monotonic clock, so a leader whose
    // renewals stopped (or that was frozen) reports false at its deadline.
    boolean leading = elector.isLeader();
    String leader = elector.currentLeader().orElse("(none)");
    // end::plain-health[]
    return alive;
  }

  private static LeaderCallbacks workFor(int shard) {
    return new LeaderCallbacks() {
      @Override
      public void onStartedLeading(Leadership leadership) {}
    };
  }
}
