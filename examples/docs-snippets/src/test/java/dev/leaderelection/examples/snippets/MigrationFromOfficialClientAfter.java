package dev.leaderelection.examples.snippets;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.Optional;

/** docs/migration.md: the same with this library, after. Compiled, never run. */
@SuppressWarnings("unused")
final class MigrationFromOfficialClientAfter extends MigrationWork {

  void after(String identity) throws InterruptedException {
    // tag::migrate-official-after[]
    KubernetesClient client = new KubernetesClientBuilder().build(); // kubeconfig or in-cluster
    LeaderElector elector =
        LeaderElector.builder(
                KubernetesLeaseLock.builder(client)
                    .namespace("my-namespace")
                    .name("my-controller")
                    .identity(identity)
                    .build())
            .config(
                LeaderElectionConfig.builder()
                    .leaseDuration(Duration.ofSeconds(15))
                    .renewDeadline(Duration.ofSeconds(10))
                    .retryPeriod(Duration.ofSeconds(2))
                    .rejoinAfterLoss(false) // run() never competed again; the default is true
                    .build())
            .callbacks(
                new LeaderCallbacks() {
                  @Override
                  public void onStartedLeading(Leadership leadership) {
                    startWork();
                  }

                  @Override
                  public void onStoppedLeading(Leadership leadership) {
                    stopWork(); // only ever after onStartedLeading
                  }

                  @Override
                  public void onNewLeader(String leader) {
                    log("new leader: " + leader);
                  }
                })
            .build();
    elector.start(); // does not block
    // To block like run(): wait for the first term, then for its end.
    Optional<Leadership> term = elector.awaitLeadership(Duration.ofDays(365));
    if (term.isPresent()) {
      term.get().ended().toCompletableFuture().join();
    }
    elector.close();
    // end::migrate-official-after[]
  }
}
