package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseLock;

/**
 * Builds the {@link LeaseLock} of each election. The auto-configured one builds a {@code
 * KubernetesLeaseLock} with the application's {@code KubernetesClient} or a {@code
 * ClientJavaLeaseLock} with its {@code ApiClient} (see {@code leaderelection.kubernetes-client}),
 * or an in-memory lease in local mode; define a bean of this type to use another backend.
 */
@FunctionalInterface
public interface LeaseLockFactory {

  /**
   * Builds the lock for one election. Called when the elections are created and again if they are
   * restarted; it should make no API call.
   *
   * @param request the Lease and identity
   * @return the lock, with {@code request.identity()} as its identity
   */
  LeaseLock create(LeaseLockRequest request);
}
