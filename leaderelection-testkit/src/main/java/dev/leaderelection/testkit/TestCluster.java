package dev.leaderelection.testkit;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;

/**
 * A Kubernetes API server that tests can use: the {@link LocalControlPlane} or, where Docker
 * exists, a K3s container. Safe for concurrent use.
 */
public interface TestCluster extends AutoCloseable {

  /** {@return the API server's base URL, such as {@code https://127.0.0.1:23456}} */
  String apiServerUrl();

  /**
   * A client with cluster-admin rights ({@code system:masters}), shared, closed with the cluster.
   * Do not close it yourself.
   *
   * @return the shared admin client
   */
  KubernetesClient adminClient();

  /**
   * A new configuration for the admin identity that the caller may change (for example point the
   * master URL at a {@link TcpRelay}). It trusts the cluster's certificate and reads no kubeconfig
   * or environment; its namespace is unset.
   *
   * @return a new configuration
   */
  Config adminConfig();

  /** {@return a kubeconfig file for the admin identity, for {@code kubectl} or other tools} */
  Path kubeconfigFile();

  /**
   * Creates a namespace if it does not exist yet.
   *
   * @param name the namespace
   * @return {@code name}
   */
  default String createNamespace(String name) {
    return ClusterSupport.createNamespace(adminClient(), name);
  }

  /**
   * Creates a namespace with a fresh name that starts with {@code prefix}.
   *
   * @param prefix a DNS label prefix, such as {@code "lease-it"}
   * @return the name of the new namespace
   */
  default String createUniqueNamespace(String prefix) {
    return ClusterSupport.createNamespace(adminClient(), ClusterSupport.uniqueName(prefix));
  }

  /**
   * A configuration that authenticates as a ServiceAccount: creates the ServiceAccount if needed
   * and asks the TokenRequest API for a token (valid one hour). The ServiceAccount has no rights
   * until the caller binds a Role to it. The configuration's namespace is {@code namespace}.
   *
   * @param namespace the ServiceAccount's namespace (must exist)
   * @param serviceAccount the ServiceAccount's name
   * @return a new configuration the caller may change
   */
  default Config serviceAccountConfig(String namespace, String serviceAccount) {
    return ClusterSupport.serviceAccountConfig(
        adminClient(), adminConfig(), namespace, serviceAccount);
  }

  /**
   * A new client for {@link #serviceAccountConfig}; the caller closes it.
   *
   * @param namespace the ServiceAccount's namespace (must exist)
   * @param serviceAccount the ServiceAccount's name
   * @return a new client
   */
  default KubernetesClient serviceAccountClient(String namespace, String serviceAccount) {
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(serviceAccountConfig(namespace, serviceAccount))
        .build();
  }

  /** Stops the cluster and closes the admin client. Idempotent. */
  @Override
  void close();
}
