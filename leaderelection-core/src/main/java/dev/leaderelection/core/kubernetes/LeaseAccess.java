package dev.leaderelection.core.kubernetes;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the API server said this client may do with one Lease ({@link KubernetesLock#checkAccess}).
 *
 * @param user the user the client is authenticated as, if the API server said (a {@code
 *     SelfSubjectReview}); {@code null} if it did not
 * @param denied the verbs, of {@link LeaseRbac#VERBS} and, if the lock watches, {@link
 *     LeaseRbac#WATCH_VERBS}, that are not allowed, in that order
 */
public record LeaseAccess(@Nullable String user, List<String> denied) {

  /**
   * Copies the list.
   *
   * @param user see the record description
   * @param denied see the record description
   */
  public LeaseAccess {
    denied = List.copyOf(denied);
  }

  /** {@return the denied verbs without which the election cannot work at all} */
  public List<String> deniedRequired() {
    return denied.stream().filter(LeaseRbac.VERBS::contains).toList();
  }
}
