package dev.leaderelection.clientjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import dev.leaderelection.testkit.ClientGoProbe;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Electors on the client-java backend, on the fabric8 backend and client-go's own elector share one
 * Lease: each hands over to each of the others, one leader at a time, and every change of holder
 * adds exactly one to {@code leaseTransitions}.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ThreeClientsInteropIT {
  private static final LeaderElectionConfig FAST =
      LeaderElectionConfig.builder()
          .leaseDuration(Duration.ofSeconds(4))
          .renewDeadline(Duration.ofSeconds(3))
          .retryPeriod(Duration.ofSeconds(1))
          .build();

  private static ClientGoProbe probe;

  private final LocalControlPlane cluster;
  private final List<AutoCloseable> running = new ArrayList<>();
  private String ns = "";

  ThreeClientsInteropIT(LocalControlPlane cluster) {
    this.cluster = cluster;
  }

  @BeforeAll
  static void buildProbe() {
    probe = ClientGoProbe.build(Path.of("..").toAbsolutePath().normalize());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : running) {
      c.close();
    }
  }

  /** A candidate of this library, with the validity windows of its terms. */
  private final class Java {
    final LeaderElector elector;
    final List<long[]> terms = Collections.synchronizedList(new ArrayList<>());

    Java(LeaseLock lock) {
      this.elector =
          LeaderElector.builder(lock)
              .config(FAST)
              .listener(
                  new LeaderElectionListener() {
                    @Override
                    public void onLeadershipAcquired(Leadership l) {
                      terms.add(new long[] {l.validFromNanos(), Long.MAX_VALUE});
                    }

                    @Override
                    public void onLeadershipEnded(Leadership l, Leadership.EndReason reason) {
                      synchronized (terms) {
                        terms.get(terms.size() - 1)[1] = l.validUntilNanos();
                      }
                    }
                  })
              .build();
      running.add(elector);
      elector.start();
    }

    long from() {
      return terms.get(0)[0];
    }

    long until() {
      synchronized (terms) {
        return terms.get(terms.size() - 1)[1];
      }
    }

    boolean sawLeader(String leader) {
      return elector.currentLeader().equals(java.util.Optional.of(leader));
    }
  }

  private Java onClientJava(String id) {
    return new Java(
        ClientJavaLeaseLock.builder(ClientJavaIt.admin(cluster))
            .namespace(ns)
            .name("shared")
            .identity(id)
            .build());
  }

  private Java onFabric8(String id) {
    return new Java(
        KubernetesLeaseLock.builder(cluster.adminClient())
            .namespace(ns)
            .name("shared")
            .identity(id)
            .build());
  }

  private ClientGoProbe.Candidate onClientGo(String id) {
    ClientGoProbe.Candidate c =
        probe.elect(cluster.kubeconfigFile(), ns, "shared", id, "4s", "3s", "1s");
    running.add(c);
    return c;
  }

  private LeaseSpec spec() {
    return cluster.adminClient().leases().inNamespace(ns).withName("shared").get().getSpec();
  }

  private int transitions() {
    Integer t = spec().getLeaseTransitions();
    return t == null ? 0 : t;
  }

  private void awaitHolder(String id, int transitions) throws InterruptedException {
    ClientJavaIt.waitFor(
        id + " to hold the Lease",
        FAST.leaseDuration().plusSeconds(6),
        () -> id.equals(spec().getHolderIdentity()));
    assertThat(transitions()).as("leaseTransitions after %s took over", id).isEqualTo(transitions);
  }

  /**
   * Waits until {@code next} follows {@code leader}, then checks it did not take the live Lease.
   */
  private static void awaitFollowing(
      String what,
      java.util.function.BooleanSupplier sawLeader,
      java.util.function.BooleanSupplier leads)
      throws InterruptedException {
    ClientJavaIt.waitFor(what, Duration.ofSeconds(10), sawLeader);
    assertThat(leads.getAsBoolean()).as("%s: no takeover of a live leader", what).isFalse();
  }

  @Test
  void eachClientHandsOverToEachOtherOneLeaderAtATime() throws Exception {
    ns = cluster.createUniqueNamespace("three");

    // client-java leads first
    Java cj1 = onClientJava("client-java-1");
    assertThat(cj1.elector.awaitLeadership(Duration.ofSeconds(20))).isPresent();
    awaitHolder("client-java-1", transitions());
    int t = transitions();

    // client-java -> fabric8
    Java f1 = onFabric8("fabric8-1");
    awaitFollowing("fabric8-1 follows", () -> f1.sawLeader("client-java-1"), f1.elector::isLeader);
    cj1.elector.close();
    assertThat(f1.elector.awaitLeadership(Duration.ofSeconds(5))).isPresent();
    assertThat(f1.from())
        .as("fabric8-1 begins after client-java-1 ended")
        .isGreaterThan(cj1.until());
    awaitHolder("fabric8-1", ++t);

    // fabric8 -> client-go
    ClientGoProbe.Candidate g1 = onClientGo("go-1");
    awaitFollowing(
        "go-1 follows",
        () -> g1.sawLeader("fabric8-1"),
        () -> g1.firstTime("started-leading").isPresent());
    f1.elector.close();
    ClientJavaIt.waitFor(
        "go-1 to lead", Duration.ofSeconds(10), () -> g1.firstTime("started-leading").isPresent());
    assertThat(g1.firstTime("started-leading").orElseThrow()).isGreaterThan(f1.until());
    awaitHolder("go-1", ++t);

    // client-go -> client-java
    Java cj2 = onClientJava("client-java-2");
    awaitFollowing("client-java-2 follows", () -> cj2.sawLeader("go-1"), cj2.elector::isLeader);
    long terminated = System.nanoTime();
    g1.terminate(); // ReleaseOnCancel
    assertThat(cj2.elector.awaitLeadership(FAST.leaseDuration().plusSeconds(6))).isPresent();
    assertThat(cj2.from()).isGreaterThan(terminated);
    awaitHolder("client-java-2", ++t);

    // client-java -> client-go
    ClientGoProbe.Candidate g2 = onClientGo("go-2");
    awaitFollowing(
        "go-2 follows",
        () -> g2.sawLeader("client-java-2"),
        () -> g2.firstTime("started-leading").isPresent());
    cj2.elector.close();
    ClientJavaIt.waitFor(
        "go-2 to lead", Duration.ofSeconds(10), () -> g2.firstTime("started-leading").isPresent());
    assertThat(g2.firstTime("started-leading").orElseThrow()).isGreaterThan(cj2.until());
    awaitHolder("go-2", ++t);

    // client-go -> fabric8
    Java f2 = onFabric8("fabric8-2");
    awaitFollowing("fabric8-2 follows", () -> f2.sawLeader("go-2"), f2.elector::isLeader);
    terminated = System.nanoTime();
    g2.terminate();
    assertThat(f2.elector.awaitLeadership(FAST.leaseDuration().plusSeconds(6))).isPresent();
    assertThat(f2.from()).isGreaterThan(terminated);
    awaitHolder("fabric8-2", ++t);

    // fabric8 -> client-java
    Java cj3 = onClientJava("client-java-3");
    awaitFollowing(
        "client-java-3 follows", () -> cj3.sawLeader("fabric8-2"), cj3.elector::isLeader);
    f2.elector.close();
    assertThat(cj3.elector.awaitLeadership(Duration.ofSeconds(5))).isPresent();
    assertThat(cj3.from()).isGreaterThan(f2.until());
    awaitHolder("client-java-3", ++t);
  }
}
