package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseIdentity;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the elections ({@code leaderElection}; switch off with {@code
 * management.health.leaderelection.enabled=false}). Details per election: {@code role} ({@code
 * leader}, {@code follower}, {@code stopped}, or {@code disabled} with {@code
 * leaderelection.enabled=false}), {@code leader} (the holder last observed), {@code identity},
 * {@code lease}, and while leading {@code lastRenewal}; in local mode also {@code mode} ({@code
 * local}) and a {@code warning} that no election takes place.
 *
 * <p>While an election's calls to the Lease keep failing (API server unreachable, namespace
 * missing, RBAC), the details carry {@code error} (the operation and the last error) and {@code
 * failingSince} (when the first of those calls failed); they go at the next call that reaches the
 * API server.
 *
 * <p>DOWN when an election believes it leads (a term began and did not end) but has not renewed for
 * longer than its lease duration: the wedged leader whose election thread is stuck, which a healthy
 * elector never is (it steps down at the renew deadline). With {@code
 * leaderelection.health-down-on-error=true} also DOWN while calls have failed for longer than the
 * lease duration; not by default, since an API server outage would then turn every replica DOWN at
 * once (and restart them all, if the indicator is in a liveness group) without fixing anything.
 * Otherwise UP, leader or not.
 *
 * <p>It is not part of the liveness or readiness groups, and should not be: readiness that depends
 * on leadership keeps followers out of service and can deadlock a rolling update.
 */
final class LeaderElectionHealthIndicator extends AbstractHealthIndicator {
  private final LeaderElections elections;
  private final boolean downOnError;

  /**
   * @param elections the elections
   * @param downOnError {@code leaderelection.health-down-on-error}: DOWN when an election's calls
   *     have failed for longer than its lease duration
   */
  LeaderElectionHealthIndicator(LeaderElections elections, boolean downOnError) {
    super("Leader election health check failed");
    this.elections = elections;
    this.downOnError = downOnError;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    long now = System.nanoTime();
    boolean wedged = false;
    boolean failing = false;
    Map<String, Object> details = new LinkedHashMap<>();
    boolean local =
        elections instanceof ManagedLeaderElections all
            && all.mode() == LeaderElectionProperties.Mode.LOCAL;
    for (LeaderElection e : elections.all()) {
      Map<String, Object> d = new LinkedHashMap<>();
      if (e instanceof ManagedLeaderElection m) {
        ManagedLeaderElection.Status s = m.status(now);
        d.put("role", s.role());
        if (local) {
          d.put("mode", "local");
          d.put(
              "warning",
              "leaderelection.mode=local: an in-memory lease that this process always wins; no"
                  + " election takes place, every instance leads");
        }
        if (s.wedged()) {
          wedged = true;
          d.put(
              "problem",
              "believes it leads but has not renewed for "
                  + s.sinceLastRenewal()
                  + ", more than the lease duration: the election is stuck");
        }
        if (s.duplicateIdentitySeen() != null) {
          d.put(
              "identityConflict",
              "another process wrote this Lease with this instance's identity (last seen "
                  + s.duplicateIdentitySeen()
                  + "): give every replica its own identity (leave leaderelection.identity unset"
                  + " for a unique default)");
        }
        if (s.lastError() != null && s.failingSince() != null && s.failingFor() != null) {
          d.put("error", s.lastError());
          d.put("failingSince", s.failingSince().toString());
          if (downOnError && s.failingFor().compareTo(m.settings().config().leaseDuration()) > 0) {
            failing = true;
          }
        }
        if (s.lastRenewal() != null) {
          d.put("lastRenewal", s.lastRenewal().toString());
        }
        d.put("lease", m.leaseTag());
      } else if (e instanceof DisabledLeaderElections.Disabled) {
        d.put("role", "disabled");
        d.put("lease", e.leaseName());
      } else {
        d.put("role", e.isLeader() ? "leader" : "follower");
        d.put("lease", e.leaseName());
      }
      d.put("leader", LeaseIdentity.escaped(e.currentLeader().orElse("")));
      d.put("identity", LeaseIdentity.escaped(e.identity()));
      details.put(e.name(), d);
    }
    if (wedged || failing) {
      builder.down();
    } else {
      builder.up();
    }
    builder.withDetails(details);
  }
}
