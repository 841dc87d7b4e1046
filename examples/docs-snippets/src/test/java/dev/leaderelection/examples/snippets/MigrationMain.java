package dev.leaderelection.examples.snippets;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.time.Duration;
import java.util.Optional;

/**
 * A program on the migration guide's client-java dependency set (no fabric8): leads a Lease through
 * the official client's {@code ApiClient}. Run by {@link MigrationDependencySetIT} against a real
 * API server.
 */
public final class MigrationMain {
  private MigrationMain() {}

  public static void main(String[] args) throws Exception {
    ApiClient apiClient = Config.defaultClient(); // KUBECONFIG, as an application outside a pod
    ClientJavaLeaseLock lock =
        ClientJavaLeaseLock.builder(apiClient)
            .namespace(System.getenv("KUBERNETES_NAMESPACE"))
            .name("my-controller")
            .build();
    try (LeaderElector elector = LeaderElector.builder(lock).build()) {
      elector.start();
      Optional<Leadership> leadership = elector.awaitLeadership(Duration.ofSeconds(30));
      System.out.println(
          leadership.isPresent()
              ? "leading "
                  + lock.description()
                  + ", fencing token "
                  + leadership.get().fencingToken()
              : "did not lead");
    }
  }
}
