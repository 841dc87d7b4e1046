package dev.leaderelection.examples.snippets;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.LeaseIdentity;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.io.IOException;

/** Snippets of docs/configuration.md. Compiled, never run. */
@SuppressWarnings("unused")
final class ClientJavaLockSnippets {

  void lockOptions() throws IOException {
    // tag::client-java-lock-options[]
    ApiClient apiClient = Config.defaultClient(); // in-cluster, else the kubeconfig
    ClientJavaLeaseLock lock =
        ClientJavaLeaseLock.builder(apiClient) // its server, credentials, TLS and OkHttp are used
            .name("billing-reconciler") // required: a DNS subdomain
            .namespace("billing") // default: the pod's namespace; outside a pod: required
            .identity(LeaseIdentity.defaultIdentity()) // default: POD_NAME + "_" + 8 hex digits
            .watch(true) // default: watch the Lease (needs list + watch)
            .build();
    // end::client-java-lock-options[]
  }
}
