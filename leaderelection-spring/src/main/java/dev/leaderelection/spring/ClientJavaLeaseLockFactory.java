package dev.leaderelection.spring;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.LeaseLock;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.DisposableBean;

/**
 * Builds a {@link ClientJavaLeaseLock} per election with the application's {@link ApiClient}, or
 * with one of its own ({@link Config#defaultClient()}: in-cluster, else kubeconfig) that it
 * releases when the context closes.
 */
final class ClientJavaLeaseLockFactory
    implements LeaseLockFactory, NamespaceFallback, DisposableBean {
  private final ApiClient client;
  private final boolean owned;

  private ClientJavaLeaseLockFactory(ApiClient client, boolean owned) {
    this.client = client;
    this.owned = owned;
  }

  /** {@return a factory on the application's client, which the application closes} */
  static ClientJavaLeaseLockFactory of(ApiClient client) {
    return new ClientJavaLeaseLockFactory(client, false);
  }

  /**
   * {@return a factory on a client of its own, configured as client-java does by default}
   *
   * @throws LeaderElectionStartupException if the kubeconfig or service account cannot be read
   */
  static ClientJavaLeaseLockFactory withDefaultClient() {
    try {
      return new ClientJavaLeaseLockFactory(Config.defaultClient(), true);
    } catch (IOException | RuntimeException e) {
      throw new LeaderElectionStartupException(
          "Leader election cannot create client-java's default ApiClient"
              + " (Config.defaultClient(): in-cluster service account, else kubeconfig): "
              + e.getMessage(),
          "Fix the kubeconfig (KUBECONFIG, ~/.kube/config) or the pod's service account, define an"
              + " ApiClient bean, or set leaderelection.mode=local to run without a cluster.",
          e);
    }
  }

  /** {@return the client the locks use} */
  ApiClient client() {
    return client;
  }

  @Override
  public LeaseLock create(LeaseLockRequest request) {
    ClientJavaLeaseLock.Builder b =
        ClientJavaLeaseLock.builder(client)
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
    return "this process does not run in a pod, and client-java's ApiClient carries no namespace"
        + " (the kubeconfig's is not used)";
  }

  @Override
  public String otherNamespaceSource() {
    return "";
  }

  /** Releases the connections and threads of the client it created; leaves the application's. */
  @Override
  public void destroy() {
    if (owned) {
      OkHttpClient http = client.getHttpClient();
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  @Override
  public String toString() {
    return "ClientJavaLeaseLockFactory["
        + client.getBasePath()
        + (owned ? ", default ApiClient" : ", the application's ApiClient")
        + "]";
  }
}
