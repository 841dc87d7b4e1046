package dev.leaderelection.examples.snippets;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * docs/migration.md: the same with this library on the official client's ApiClient (no fabric8),
 * after. Compiled, never run.
 */
@SuppressWarnings("unused")
final class MigrationFromOfficialClientAfter extends MigrationWork {

  void after(String identity) throws IOException, InterruptedException {
    // tag::migrate-official-after[]
    ApiClient apiClient = Config.defaultClient(); // the same ApiClient as before
    LeaderElector elector =
        LeaderElector.builder(
                ClientJavaLeaseLock.builder(apiClient)
                    .namespace("my-namespace") // or leave out in a pod: the pod's own namespace
                    .name("my-controller")
                    .identity(identity) // or leave out: pod name + random suffix
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
                    startWork(leadership.fencingToken()); // on the callback thread; may block
                  }

                  @Override
                  public void onStoppedLeading(Leadership leadership) {
                    stopWork(); // only ever after onStartedLeading has returned
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
    elector.close(); // ends the term, waits for the callbacks, releases the Lease
    // end::migrate-official-after[]
  }
}
