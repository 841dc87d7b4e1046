package dev.leaderelection.examples.clientjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client-java worker against a real kube-apiserver, each worker with an {@link ApiClient} that
 * authenticates with a token of the ServiceAccount in {@code k8s/rbac.yaml}: it leads, writes its
 * fenced ConfigMap, hands over through the watch on close and releases, without an authorization
 * error; a token without the Role gets the library's RBAC message.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ClientJavaWorkerIT {

  /** Collects the EVENT lines of the workers. */
  static final class Events {
    final List<String> lines = new CopyOnWriteArrayList<>();

    Consumer<String> out() {
      return line -> {
        lines.add(line);
        System.out.println(line);
      };
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

  /** Applies rbac.yaml as written, moved into {@code ns}. */
  static void applyRbac(KubernetesClient admin, String ns) throws IOException {
    for (HasMetadata o : Manifests.inNamespace(Manifests.load("rbac.yaml"), ns)) {
      admin.resource(o).create();
    }
  }

  /** An ApiClient with a token of ServiceAccount {@code sa}, as the pod would have. */
  static ApiClient apiClient(TestCluster cluster, String ns, String sa) {
    String token = Objects.requireNonNull(cluster.serviceAccountConfig(ns, sa).getOauthToken());
    return new ClientBuilder()
        .setBasePath(cluster.apiServerUrl())
        .setVerifyingSsl(false)
        .setAuthentication(new AccessTokenAuthentication(token))
        .build();
  }

  static ClientJavaWorker.Settings settings(String ns) {
    return ClientJavaWorker.Settings.fromEnv(
        Map.of(
            "POD_NAMESPACE", ns,
            "LEASE_DURATION", "15s",
            "RENEW_DEADLINE", "10s",
            "RETRY_PERIOD", "2s",
            "WORK_INTERVAL", "200ms"));
  }

  @Test
  void workersWithTheServiceAccountTokenLeadWriteHandOverAndReleaseWithoutAuthorizationErrors(
      TestCluster cluster) throws Exception {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("cj-worker");
    applyRbac(admin, ns);
    Events events = new Events();
    ClientJavaWorker w1 =
        ClientJavaWorker.start(
            settings(ns), apiClient(cluster, ns, "singleton-worker"), "w1", events.out());
    ClientJavaWorker w2;
    long token1;
    try {
      token1 =
          token(
              events.awaitLine(
                  l -> l.contains("id=w1 event=started-leading token="), Duration.ofSeconds(20)));
      events.awaitLine(
          l -> l.contains("id=w1 event=wrote token=" + token1 + " writes=2"),
          Duration.ofSeconds(10));
      ConfigMap out = admin.configMaps().inNamespace(ns).withName("worker-output").get();
      assertThat(out.getMetadata().getAnnotations())
          .containsEntry(FencedConfigMap.TOKEN_ANNOTATION, Long.toString(token1));
      assertThat(out.getData()).containsEntry("writer", "w1");

      w2 =
          ClientJavaWorker.start(
              settings(ns), apiClient(cluster, ns, "singleton-worker"), "w2", events.out());
      events.awaitLine(l -> l.contains("id=w2 event=new-leader leader=w1"), Duration.ofSeconds(20));
    } finally {
      w1.close();
    }
    // w1 released the Lease on close: w2 sees it through its watch (list, watch) and takes over at
    // once; without the watch it would wait up to leaseDuration (15 s).
    String closing =
        events.awaitLine(l -> l.contains("id=w1 event=closing"), Duration.ofSeconds(1));
    String took =
        events.awaitLine(l -> l.contains("id=w2 event=started-leading"), Duration.ofSeconds(10));
    assertThat(Duration.ofNanos(time(took) - time(closing))).isLessThan(Duration.ofSeconds(3));
    long token2 = token(took);
    assertThat(token2).as("the next term's token is higher").isGreaterThan(token1);
    events.awaitLine(
        l -> l.contains("id=w2 event=wrote token=" + token2 + " "), Duration.ofSeconds(10));
    w2.close();

    Lease lease = admin.leases().inNamespace(ns).withName("singleton-worker").get();
    assertThat(lease.getSpec().getHolderIdentity()).as("released by w2").isEmpty();
    assertThat(
            admin
                .configMaps()
                .inNamespace(ns)
                .withName("worker-output")
                .get()
                .getMetadata()
                .getAnnotations())
        .containsEntry(FencedConfigMap.TOKEN_ANNOTATION, Long.toString(token2));
    assertThat(events.lines).noneMatch(l -> l.contains("event=error"));
    assertThat(events.lines).noneMatch(l -> l.contains("event=write-failed"));
  }

  @Test
  void aTokenWithoutTheRoleGetsTheLibrarysRbacMessage(TestCluster cluster) throws Exception {
    KubernetesClient admin = cluster.adminClient();
    String ns = cluster.createUniqueNamespace("cj-norole");
    applyRbac(admin, ns); // the Role exists, but "no-role" is not bound to it
    Events events = new Events();
    ClientJavaWorker w =
        ClientJavaWorker.start(settings(ns), apiClient(cluster, ns, "no-role"), "w", events.out());
    try {
      String error =
          events.awaitLine(l -> l.contains("id=w event=error op=get"), Duration.ofSeconds(20));
      assertThat(error)
          .contains("reason=forbidden")
          .contains(
              "msg=forbidden: user \"system:serviceaccount:"
                  + ns
                  + ":no-role\" may not get Lease "
                  + ns
                  + "/singleton-worker (HTTP 403)")
          .contains(LeaseRbac.rulesInline("singleton-worker"));
      assertThat(w.elector().isLeader()).isFalse();
    } finally {
      w.close();
    }
    assertThat(events.lines).noneMatch(l -> l.contains("event=started-leading"));
  }

  private static long time(String eventLine) {
    int from = eventLine.indexOf(" t=") + 3;
    return Long.parseLong(eventLine.substring(from, eventLine.indexOf(' ', from)));
  }

  private static long token(String eventLine) {
    Matcher m = Pattern.compile(" token=(\\d+)").matcher(eventLine);
    if (!m.find()) {
      throw new AssertionError("no token in " + eventLine);
    }
    return Long.parseLong(m.group(1));
  }
}
