package dev.leaderelection.examples.snippets;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** docs/migration.md: fabric8's own elector, before. Compiled, never run. */
@SuppressWarnings("unused")
final class MigrationFromFabric8Before extends MigrationWork {

  void before(KubernetesClient client, String identity) {
    // tag::migrate-fabric8-before[]
    LeaderElector elector =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName("my-controller")
                    .withLock(new LeaseLock("my-namespace", "my-controller", identity))
                    .withLeaseDuration(Duration.ofSeconds(15))
                    .withRenewDeadline(Duration.ofSeconds(10))
                    .withRetryPeriod(Duration.ofSeconds(2))
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(
                            () -> startWork(), // inline, under the elector's lock
                            () -> stopWork(),
                            leader -> log("new leader: " + leader)))
                    .build())
            .build();
    CompletableFuture<?> running = elector.start(); // single use
    // ...
    running.cancel(true); // releases (withReleaseOnCancel)
    // end::migrate-fabric8-before[]
  }
}
