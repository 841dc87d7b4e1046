package dev.leaderelection.examples.snippets;

import io.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.kubernetes.client.extended.leaderelection.LeaderElector;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import java.time.Duration;

/** docs/migration.md: the official Java client's elector, before. Compiled, never run. */
@SuppressWarnings("unused")
final class MigrationFromOfficialClientBefore extends MigrationWork {

  void before(String identity) throws IOException {
    // tag::migrate-official-before[]
    ApiClient apiClient = Config.defaultClient();
    LeaseLock lock = new LeaseLock("my-namespace", "my-controller", identity, apiClient);
    LeaderElectionConfig config =
        new LeaderElectionConfig(
            lock, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    try (LeaderElector elector = new LeaderElector(config)) {
      elector.run( // blocks this thread; returns when leadership is lost, never competes again
          () -> startWork(), () -> stopWork(), leader -> log("new leader: " + leader));
    }
    // end::migrate-official-before[]
  }
}
