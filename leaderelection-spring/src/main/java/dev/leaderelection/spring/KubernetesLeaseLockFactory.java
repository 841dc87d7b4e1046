package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Builds a {@link KubernetesLeaseLock} per election with the application's client. */
final class KubernetesLeaseLockFactory implements LeaseLockFactory, NamespaceFallback {
  private final KubernetesClient client;

  KubernetesLeaseLockFactory(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public LeaseLock create(LeaseLockRequest request) {
    KubernetesLeaseLock.Builder b =
        KubernetesLeaseLock.builder(client)
            .name(request.leaseName())
            .identity(request.identity())
            .namespaceSetting(
                request.election().equals(LeaderElectionProperties.DEFAULT_ELECTION)
                    ? "leaderelection.namespace"
                    : "leaderelection.elections."
                        + request.election()
                        + ".namespace, or leaderelection.namespace");
    String namespace = request.namespace();
    if (namespace != null) {
      b.namespace(namespace);
    }
    return b.build();
  }

  @Override
  public String withoutNamespace() {
    return NamespaceFallback.FABRIC8.withoutNamespace();
  }

  @Override
  public String otherNamespaceSource() {
    return NamespaceFallback.FABRIC8.otherNamespaceSource();
  }

  @Override
  public String toString() {
    return "KubernetesLeaseLockFactory[" + client.getMasterUrl() + "]";
  }
}
