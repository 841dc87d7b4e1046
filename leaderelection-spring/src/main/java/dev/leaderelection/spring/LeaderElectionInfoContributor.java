package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseIdentity;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * The elections in {@code /actuator/info}, under {@code leaderelection}: per election its {@code
 * lease} ({@code namespace/name}), the {@code leader} last observed (escaped, as in the health
 * details) and this instance's {@code role} ({@code leader}, {@code follower}, or {@code
 * disabled}).
 */
final class LeaderElectionInfoContributor implements InfoContributor {
  private final LeaderElections elections;

  LeaderElectionInfoContributor(LeaderElections elections) {
    this.elections = elections;
  }

  @Override
  public void contribute(Info.Builder builder) {
    Map<String, Object> all = new LinkedHashMap<>();
    for (LeaderElection e : elections.all()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("lease", e.namespace().map(ns -> ns + "/").orElse("") + e.leaseName());
      d.put("leader", LeaseIdentity.escaped(e.currentLeader().orElse("")));
      String role;
      if (e instanceof DisabledLeaderElections.Disabled) {
        role = "disabled";
      } else {
        role = e.isLeader() ? "leader" : "follower";
      }
      d.put("role", role);
      all.put(e.name(), d);
    }
    builder.withDetail("leaderelection", all);
  }
}
