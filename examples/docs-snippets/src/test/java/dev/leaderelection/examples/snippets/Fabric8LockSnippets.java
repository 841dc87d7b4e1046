package dev.leaderelection.examples.snippets;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;

/** Snippets of docs/configuration.md. Compiled, never run. */
@SuppressWarnings("unused")
final class Fabric8LockSnippets {

  void lockOptions(KubernetesClient client) {
    // tag::fabric8-lock-options[]
    KubernetesLeaseLock lock =
        KubernetesLeaseLock.builder(client) // the client's server, credentials and TLS are used
            .name("billing-reconciler") // required: a DNS subdomain
            .namespace("billing") // default: the pod's namespace, then the kubeconfig's
            .identity(LeaseIdentity.defaultIdentity()) // default: POD_NAME + "_" + 8 hex digits
            .watch(true) // default: watch the Lease (needs list + watch)
            .build();
    // end::fabric8-lock-options[]
  }

  void clientTimeouts() {
    // tag::fabric8-client[]
    // The lock makes every call once, with the election's own timeout, whatever the client's
    // retry settings; the client only brings the connection and the credentials.
    Config config =
        new ConfigBuilder(Config.autoConfigure(null)) // kubeconfig or in-cluster service account
            .withConnectionTimeout(5_000)
            .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    // end::fabric8-client[]
  }

  LeaderElectionConfig fastProfile() {
    // tag::fast-profile[]
    LeaderElectionConfig fast =
        LeaderElectionConfig.builder()
            .leaseDuration(Duration.ofSeconds(4))
            .renewDeadline(Duration.ofSeconds(3))
            .retryPeriod(Duration.ofSeconds(1))
            .build();
    // end::fast-profile[]
    return fast;
  }
}
