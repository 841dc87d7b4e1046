package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.T;
import static dev.leaderelection.fabric8.It.await;
import static dev.leaderelection.fabric8.It.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Restricted identities: exactly the documented verbs work; a missing verb fails clearly. */
@ExtendWith(LocalControlPlaneExtension.class)
class RbacIT {
  private final TestCluster cluster;
  private final KubernetesClient admin;
  private String ns = "";

  RbacIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = cluster.adminClient();
  }

  @BeforeEach
  void namespace() {
    ns = cluster.createUniqueNamespace("rbac");
  }

  private static LeaseRecord held(String holder, @org.jspecify.annotations.Nullable String v) {
    Instant now = Instant.now();
    return new LeaseRecord(holder, 15, now, now, 0, null, null, v);
  }

  @Test
  void theDocumentedVerbsAreEnoughForEverything() throws Exception {
    It.grant(admin, ns, "elector", "get", "create", "update", "list", "watch");
    try (KubernetesClient sa = cluster.serviceAccountClient(ns, "elector")) {
      // namespace from the client's configuration (the ServiceAccount's)
      KubernetesLeaseLock lock = KubernetesLeaseLock.builder(sa).name("app").identity("sa").build();
      assertThat(lock.namespace()).isEqualTo(ns);
      LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
      try (LeaseLock.Watch w =
          Objects.requireNonNull(
              lock.watch(
                  r -> seen.add(r == null ? "<deleted>" : "" + r.holderIdentity()),
                  Scheduler.shared()))) {
        assertThat(It.read(lock)).isEmpty();
        LeaseRecord created = await(lock.create(held("sa", null), T));
        LeaseRecord renewed = await(lock.update(held("sa", created.version()), T));
        assertThat(It.read(lock)).contains(renewed);
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("sa");
        assertThat(w).isNotNull();
      }
    }
  }

  @Test
  void withoutUpdateTheErrorNamesTheUserTheVerbAndTheRuleToAdd() {
    It.grant(admin, ns, "no-update", "get", "create");
    try (KubernetesClient sa = cluster.serviceAccountClient(ns, "no-update")) {
      KubernetesLeaseLock lock =
          KubernetesLeaseLock.builder(sa).name("app").namespace(ns).watch(false).build();
      LeaseRecord created = await(lock.create(held("sa", null), T));
      LeaseLockException e = failure(lock.update(held("sa", created.version()), T));
      assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
      assertThat(e.getMessage())
          .contains("user \"system:serviceaccount:" + ns + ":no-update\"")
          .contains("may not update Lease " + ns + "/app")
          .contains("namespace \"" + ns + "\"")
          .contains(LeaseRbac.rulesInline("app"))
          .contains(
              String.join(
                  " && ",
                  LeaseRbac.kubectl(ns, "app", "system:serviceaccount:" + ns + ":no-update")))
          .contains("--serviceaccount=" + ns + ":no-update");
      System.err.println("[rbac] " + e.getMessage());
    }
  }

  @Test
  void withNoRightsEvenGetFailsClearly() {
    try (KubernetesClient sa = cluster.serviceAccountClient(ns, "nobody")) {
      KubernetesLeaseLock lock = KubernetesLeaseLock.builder(sa).name("app").build();
      LeaseLockException e = failure(lock.get(T));
      assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
      assertThat(e.getMessage()).contains("may not get Lease " + ns + "/app");
    }
  }

  @Test
  void withoutListAndWatchTheLockStillWorksAndTheWatchDoesNotBreakIt() throws Exception {
    It.grant(admin, ns, "no-watch", "get", "create", "update");
    try (KubernetesClient sa = cluster.serviceAccountClient(ns, "no-watch")) {
      KubernetesLeaseLock lock = KubernetesLeaseLock.builder(sa).name("app").build();
      try (LeaseLock.Watch w = Objects.requireNonNull(lock.watch(r -> {}, Scheduler.shared()))) {
        LeaseRecord created = await(lock.create(held("sa", null), T));
        await(lock.update(held("sa", created.version()), T));
        assertThat(w).isNotNull();
      }
    }
  }
}
