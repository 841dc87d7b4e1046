package dev.leaderelection.core.kubernetes;

import dev.leaderelection.core.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A {@link LeaseLock} on a {@code coordination.k8s.io/v1} Lease in a Kubernetes API server,
 * whatever client it is built on. Integrations use it to name the Lease and to check the RBAC
 * permissions before the election starts.
 */
public interface KubernetesLock extends LeaseLock {

  /** {@return the Lease's namespace} */
  String namespace();

  /** {@return the Lease's name} */
  String name();

  /**
   * {@return whether this lock watches the Lease, so that it needs {@code list} and {@code watch}}
   */
  boolean watches();

  /**
   * Asks the API server, with one {@code SelfSubjectAccessReview} per verb, which of the verbs this
   * lock uses it may use on this Lease, and who the client is authenticated as. Makes no change; no
   * retries.
   *
   * @param timeout how long all the reviews together may take
   * @return the answer; fails if the API server could not be asked
   */
  CompletionStage<LeaseAccess> checkAccess(Duration timeout);
}
