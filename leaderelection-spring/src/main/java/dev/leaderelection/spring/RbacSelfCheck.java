package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.kubernetes.KubernetesLock;
import dev.leaderelection.core.kubernetes.LeaseAccess;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.spring.LeaderElectionProperties.RbacCheck;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up RBAC self-check: asks the API server, through the lock's {@link
 * KubernetesLock#checkAccess}, whether this process may use the verbs the election needs on its
 * Lease. A missing {@code get}, {@code create} or {@code update} stops the start-up (or only warns,
 * as configured) with a message naming the verbs, the user and the least-privilege Role rules to
 * add ({@link LeaseRbac}); a missing {@code list} or {@code watch} only warns, since the election
 * then polls.
 *
 * <p>If the API server cannot be asked (unreachable, slow), it logs a warning and lets the start-up
 * go on: the election itself retries, and a transient outage should not stop a rollout. The check
 * takes at most {@link #TIMEOUT}, with no client-side retries.
 */
final class RbacSelfCheck implements ManagedLeaderElections.StartupCheck {
  private static final Logger log = LoggerFactory.getLogger(RbacSelfCheck.class);

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final RbacCheck mode;

  RbacSelfCheck(RbacCheck mode) {
    this.mode = mode;
  }

  @Override
  public void check(LeaderElection election, LeaseLock lock) {
    if (mode == RbacCheck.OFF || !(lock instanceof KubernetesLock k)) {
      return;
    }
    LeaseAccess access;
    try {
      access =
          k.checkAccess(TIMEOUT)
              .toCompletableFuture()
              .get(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "Leader election '{}': could not check the RBAC permissions on Lease {}/{} ({}); starting"
              + " anyway",
          election.name(),
          k.namespace(),
          k.name(),
          e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (access.denied().isEmpty()) {
      log.debug("Leader election '{}': RBAC allows all it needs on {}", election.name(), k);
      return;
    }
    List<String> required = access.deniedRequired();
    String user = access.user();
    String description =
        "Leader election '"
            + election.name()
            + "' "
            + (required.isEmpty() ? "can work, but only by polling" : "cannot work")
            + ": "
            + (user != null ? "user '" + user + "'" : "this process")
            + " may not "
            + String.join(", ", access.denied())
            + " leases (coordination.k8s.io) in namespace '"
            + k.namespace()
            + "' (Lease '"
            + k.name()
            + "')"
            + (required.isEmpty()
                ? "; without list and watch it notices a released Lease only at its next poll."
                : ".");
    String nl = System.lineSeparator();
    String action =
        "Grant the least-privilege rules in namespace '"
            + k.namespace()
            + "', bound to "
            + (user != null ? "'" + user + "'" : "the application's ServiceAccount")
            + ":"
            + nl
            + LeaseRbac.rulesYaml(k.name())
            + "For example:"
            + nl
            + String.join(nl, LeaseRbac.kubectl(k.namespace(), k.name(), user))
            + nl
            + (required.isEmpty()
                ? "Or set leaderelection.rbac-check=off to silence this check."
                : "Or set leaderelection.rbac-check=warn to start anyway (the election keeps failing"
                    + " until the rules exist), or leaderelection.rbac-check=off.");
    if (!required.isEmpty() && mode == RbacCheck.FAIL) {
      throw new LeaderElectionStartupException(description, action);
    }
    log.warn("{} {}", description, action);
  }
}
