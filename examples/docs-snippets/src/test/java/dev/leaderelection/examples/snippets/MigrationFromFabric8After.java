package dev.leaderelection.examples.snippets;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/** docs/migration.md: the same with this library, after. Compiled, never run. */
@SuppressWarnings("unused")
final class MigrationFromFabric8After extends MigrationWork {

  void after(KubernetesClient client, String identity) {
    // tag::migrate-fabric8-after[]
    LeaderElector elector =
        LeaderElector.builder(
                KubernetesLeaseLock.builder(client)
                    .namespace("my-namespace") // or leave out: the pod's own namespace
                    .name("my-controller")
                    .identity(identity) // or leave out: pod name + random suffix
                    .build())
            .config(
                LeaderElectionConfig.builder()
                    .name("my-controller") // for logs and metrics; default "lease ns/name"
                    .leaseDuration(Duration.ofSeconds(15))
                    .renewDeadline(Duration.ofSeconds(10))
                    .retryPeriod(Duration.ofSeconds(2))
                    .releaseOnClose(true) // the default
                    .build())
            .callbacks(
                new LeaderCallbacks() {
                  @Override
                  public void onStartedLeading(Leadership leadership) {
                    startWork(leadership.fencingToken()); // on the callback thread
                  }

                  @Override
                  public void onStoppedLeading(Leadership leadership) {
                    stopWork();
                  }

                  @Override
                  public void onNewLeader(String leader) {
                    log("new leader: " + leader);
                  }
                })
            .build();
    elector.start(); // returns at once; competes again after a loss
    // ...
    elector.close(); // ends the term, waits for the callbacks, releases
    // end::migrate-fabric8-after[]
  }
}
