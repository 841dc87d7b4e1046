package dev.leaderelection.examples.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Role in {@code k8s/rbac.yaml} is sufficient: a worker running with a token of that
 * ServiceAccount (TokenRequest) leads, writes its ConfigMap, hands over and releases without a
 * single authorization error; a token without the Role fails with the library's RBAC message.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class WorkerRbacIT {

  /** Collects a worker's EVENT lines. */
  static final class Events {
    final List<String> lines = new CopyOnWriteArrayList<>();

    EventLog log(String identity) {
      return new EventLog(
          identity,
          line -> {
            lines.add(line);
            System.out.println(line);
          });
    }

    boolean any(Predicate<String> p) {
      return lines.stream().anyMatch(p);
    }

    String awaitLine(Predicate<String> p, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (String l : lines) {
          if (p.test(l)) {
            return l;
          }
        }
        Thread.sleep(20);
      }
      throw new AssertionError("no matching event within " + timeout + "; events: " + lines);
    }
  }

  static long time(String eventLine) {
    int from = eventLine.indexOf(" t=") + 3;
    return Long.parseLong(eventLine.substring(from, eventLine.indexOf(' ', from)));
  }

  /** Applies rbac.yaml as written, moved into {@code ns}. */
  static void applyRbac(KubernetesClient admin, String ns) throws IOException {
    List<HasMetadata> rbac = Manifests.inNamespace(ManifestsTest.load("rbac.yaml"), ns);
    for (HasMetadata o : rbac) {
      admin.resource(o).fieldManager("rbac-it").serverSideApply();
    }
  }

  static WorkerSettings settings(String ns) {
    return WorkerSettings.fromEnv(Map.of("POD_NAMESPACE", ns, "WORK_INTERVAL", "200ms"));
  }

  @Test
  void theRoleGrantsTheVerbsOnTheWorkersOwnLeaseAndConfigMapAndNothingElse(TestCluster cluster)
      throws IOException {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("rbac-sar");
    applyRbac(admin, ns);
    String user = "system:serviceaccount:" + ns + ":singleton-worker";
    String lease = "coordination.k8s.io";
    for (String verb : List.of("get", "update", "list", "watch")) {
      assertThat(allowed(admin, user, ns, lease, "leases", "singleton-worker", verb))
          .as("leases/singleton-worker %s", verb)
          .isTrue();
      // Another election's Lease in the same namespace: not this worker's to read or take over.
      assertThat(allowed(admin, user, ns, lease, "leases", "other-election", verb))
          .as("leases/other-election %s", verb)
          .isFalse();
      // Nor the collection (a list or watch without fieldSelector=metadata.name).
      assertThat(allowed(admin, user, ns, lease, "leases", null, verb))
          .as("leases (all) %s", verb)
          .isFalse();
    }
    for (String verb : List.of("get", "update")) {
      assertThat(allowed(admin, user, ns, "", "configmaps", "worker-output", verb))
          .as("configmaps/worker-output %s", verb)
          .isTrue();
      assertThat(allowed(admin, user, ns, "", "configmaps", "kube-root-ca.crt", verb))
          .as("configmaps/kube-root-ca.crt %s", verb)
          .isFalse();
    }
    // create cannot be restricted to a name: it is allowed for the collection.
    assertThat(allowed(admin, user, ns, lease, "leases", null, "create")).isTrue();
    assertThat(allowed(admin, user, ns, "", "configmaps", null, "create")).isTrue();
    for (String verb : List.of("delete", "patch", "deletecollection")) {
      assertThat(allowed(admin, user, ns, lease, "leases", "singleton-worker", verb))
          .as("leases %s", verb)
          .isFalse();
      assertThat(allowed(admin, user, ns, "", "configmaps", "worker-output", verb))
          .as("configmaps %s", verb)
          .isFalse();
    }
    assertThat(allowed(admin, user, ns, "", "configmaps", "worker-output", "list"))
        .as("configmaps list")
        .isFalse();
    assertThat(allowed(admin, user, "default", lease, "leases", "singleton-worker", "get"))
        .as("leases in another namespace")
        .isFalse();
  }

  @Test
  void workersWithTheServiceAccountTokenLeadWriteHandOverAndReleaseWithoutAuthorizationErrors(
      TestCluster cluster) throws Exception {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("rbac-worker");
    applyRbac(admin, ns);
    Events events = new Events();
    long lastToken;
    try (KubernetesClient c1 = cluster.serviceAccountClient(ns, "singleton-worker");
        KubernetesClient c2 = cluster.serviceAccountClient(ns, "singleton-worker")) {
      SingletonWorker w1 = SingletonWorker.start(settings(ns), c1, "w1", events.log("w1"));
      SingletonWorker w2;
      long token1;
      try {
        String started =
            events.awaitLine(l -> l.contains("id=w1 event=started-leading token="), seconds(20));
        token1 = token(started);
        events.awaitLine(l -> l.contains("id=w1 event=wrote token=" + token1 + " "), seconds(10));
        ConfigMap out = admin.configMaps().inNamespace(ns).withName("worker-output").get();
        // The token is the Lease's resourceVersion of the write that began the term.
        assertThat(FencedOutput.storedToken(out)).isEqualTo(token1);
        assertThat(out.getData()).containsEntry("writer", "w1");

        w2 = SingletonWorker.start(settings(ns), c2, "w2", events.log("w2"));
        events.awaitLine(l -> l.contains("id=w2 event=new-leader leader=w1"), seconds(20));
      } finally {
        w1.close();
      }
      // w1 released the Lease on close (an update): w2 sees it through its watch (list, watch)
      // and takes over at once, instead of after leaseDuration (15 s).
      String closing = events.awaitLine(l -> l.contains("id=w1 event=closing"), seconds(1));
      String took = events.awaitLine(l -> l.contains("id=w2 event=started-leading"), seconds(10));
      assertThat(Duration.ofNanos(time(took) - time(closing))).isLessThan(seconds(3));
      long token2 = token(took);
      assertThat(token2).as("the next term's token is higher").isGreaterThan(token1);
      events.awaitLine(l -> l.contains("id=w2 event=wrote token=" + token2 + " "), seconds(10));
      w2.close();
      lastToken = token2;
    }
    Lease lease = admin.leases().inNamespace(ns).withName("singleton-worker").get();
    assertThat(lease.getSpec().getHolderIdentity()).as("released by w2").isEmpty();
    assertThat(
            FencedOutput.storedToken(
                admin.configMaps().inNamespace(ns).withName("worker-output").get()))
        .isEqualTo(lastToken);
    assertThat(events.lines).noneMatch(l -> l.contains("event=error"));
    assertThat(events.lines).noneMatch(l -> l.contains("event=write-failed"));
  }

  @Test
  void aTokenWithoutTheRoleFailsWithTheLibrarysRbacMessage(TestCluster cluster) throws Exception {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("rbac-none");
    applyRbac(admin, ns); // the Role exists, but "no-role" is not bound to it
    Events events = new Events();
    try (KubernetesClient c = cluster.serviceAccountClient(ns, "no-role")) {
      SingletonWorker w = SingletonWorker.start(settings(ns), c, "w", events.log("w"));
      try {
        String error = events.awaitLine(l -> l.contains("event=error op=get"), seconds(20));
        assertThat(error)
            .contains("reason=forbidden")
            .contains(
                "msg=forbidden: user \"system:serviceaccount:"
                    + ns
                    + ":no-role\" may not get Lease "
                    + ns
                    + "/singleton-worker (HTTP 403)")
            .contains(LeaseRbac.rulesInline("singleton-worker"))
            .contains(
                "kubectl -n "
                    + ns
                    + " create role leader-election-singleton-worker --verb=get,update,list,watch"
                    + " --resource=leases.coordination.k8s.io --resource-name=singleton-worker")
            .contains("--serviceaccount=" + ns + ":no-role");
        assertThat(w.elector().isLeader()).isFalse();
      } finally {
        w.close();
      }
    }
    assertThat(events.lines).noneMatch(l -> l.contains("event=started-leading"));
  }

  private static boolean allowed(
      KubernetesClient admin,
      String user,
      String ns,
      String group,
      String resource,
      @Nullable String name,
      String verb) {
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user)
            .withGroups(
                "system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated")
            .withNewResourceAttributes()
            .withNamespace(ns)
            .withGroup(group)
            .withResource(resource)
            .withName(name)
            .withVerb(verb)
            .endResourceAttributes()
            .endSpec()
            .build();
    return admin.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
  }

  private static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }

  private static long token(String eventLine) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(" token=(\\d+)").matcher(eventLine);
    if (!m.find()) {
      throw new AssertionError("no token in " + eventLine);
    }
    return Long.parseLong(m.group(1));
  }
}
