package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.ClientGoProbe;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Wire compatibility with the Go reference: client-go's own resourcelock and LeaderElector (built
 * from the Go module proxy by interop/clientgo/build.sh) read what this library writes, and both
 * contend for one Lease without overlapping.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ClientGoInteropIT {
  private static final LeaderElectionConfig FAST =
      LeaderElectionConfig.builder()
          .leaseDuration(Duration.ofSeconds(4))
          .renewDeadline(Duration.ofSeconds(3))
          .retryPeriod(Duration.ofSeconds(1))
          .build();

  private static ClientGoProbe probe;

  private final LocalControlPlane cluster;
  private final List<ClientGoProbe.Candidate> candidates = new ArrayList<>();
  private final List<LeaderElector> electors = new ArrayList<>();

  ClientGoInteropIT(LocalControlPlane cluster) {
    this.cluster = cluster;
  }

  @BeforeAll
  static void buildProbe() {
    probe = ClientGoProbe.build(Path.of("..").toAbsolutePath().normalize());
  }

  @AfterEach
  void stop() {
    electors.forEach(LeaderElector::close);
    candidates.forEach(ClientGoProbe.Candidate::close);
  }

  private KubernetesLeaseLock lock(String ns, String name, String id) {
    return KubernetesLeaseLock.builder(cluster.adminClient())
        .name(name)
        .namespace(ns)
        .identity(id)
        .build();
  }

  private String probeRead(String ns, String name) {
    return probe.read(cluster.kubeconfigFile(), ns, name);
  }

  /** A client-go candidate; its events are collected as they come. */
  private ClientGoProbe.Candidate startGoCandidate(String ns, String name, String id) {
    ClientGoProbe.Candidate c =
        probe.elect(cluster.kubeconfigFile(), ns, name, id, "4s", "3s", "1s");
    candidates.add(c);
    return c;
  }

  private static Optional<Long> eventTime(ClientGoProbe.Candidate c, String event) {
    return c.firstTime(event);
  }

  @Test
  void clientGoReadsTheLeaseThisLibraryWritesWithTheSameFieldValues() throws Exception {
    String ns = cluster.createUniqueNamespace("interop");
    KubernetesLeaseLock lock = lock(ns, "written-by-java", "java-1");
    LeaderElector e = LeaderElector.builder(lock).config(FAST).build();
    electors.add(e);
    e.start();
    assertThat(e.awaitLeadership(Duration.ofSeconds(20))).isPresent();
    LeaseRecord ours = It.await(lock.get(It.T)).orElseThrow();

    String json = probeRead(ns, "written-by-java");

    // client-go's LeaderElectionRecord JSON: holderIdentity, leaseDurationSeconds, acquireTime,
    // renewTime (RFC 3339, second precision in this struct), leaderTransitions
    assertThat(json).contains("\"holderIdentity\":\"java-1\"");
    assertThat(json).contains("\"leaseDurationSeconds\":4");
    assertThat(json).contains("\"leaderTransitions\":" + ours.leaseTransitions());
    String acquire =
        java.time.format.DateTimeFormatter.ISO_INSTANT.format(
            java.util.Objects.requireNonNull(ours.acquireTime())
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    assertThat(json).contains("\"acquireTime\":\"" + acquire + "\"");
    Files.writeString(cluster.directory().resolve("interop-read.json"), json);
  }

  @Test
  void clientGoAndThisLibraryHandOverToEachOtherWithoutOverlap() throws Exception {
    String ns = cluster.createUniqueNamespace("interop");
    String name = "mixed";
    // 1. client-go leads first
    ClientGoProbe.Candidate go = startGoCandidate(ns, name, "go-1");
    waitFor(
        "client-go to lead",
        Duration.ofSeconds(30),
        () -> eventTime(go, "started-leading").isPresent());

    // 2. this library joins and sees client-go as leader
    List<long[]> windows = Collections.synchronizedList(new ArrayList<>());
    LeaderElector java =
        LeaderElector.builder(lock(ns, name, "java-1"))
            .config(FAST)
            .listener(
                new LeaderElectionListener() {
                  @Override
                  public void onLeadershipEnded(Leadership l, Leadership.EndReason reason) {
                    windows.add(new long[] {l.validFromNanos(), l.validUntilNanos()});
                  }

                  @Override
                  public void onLeadershipAcquired(Leadership l) {
                    windows.add(new long[] {l.validFromNanos(), -1});
                  }
                })
            .build();
    electors.add(java);
    java.start();
    waitFor(
        "java to observe go-1",
        Duration.ofSeconds(10),
        () -> java.currentLeader().equals(Optional.of("go-1")));
    Thread.sleep(FAST.leaseDuration().toMillis() + 1000);
    assertThat(java.isLeader()).as("no takeover of a live client-go leader").isFalse();

    // 3. client-go releases on SIGTERM; this library takes over through its watch
    long terminatedAt = System.nanoTime();
    go.terminate(); // client-go's ReleaseOnCancel
    // Watch the Lease as an admin would, to tell a release from client-go's known failure to
    // release
    // (its release writes its cached record; if a renewal was cut short by the cancel, that write
    // conflicts and the Lease stays held until it expires: kubernetes #131867).
    KubernetesLeaseLock admin = lock(ns, name, "observer");
    boolean releaseSeen = false;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!java.isLeader() && System.nanoTime() < until) {
      Optional<LeaseRecord> now = admin.get(Duration.ofSeconds(2)).toCompletableFuture().join();
      releaseSeen |= now.isPresent() && !now.get().isHeld();
      Thread.sleep(20);
    }
    waitFor("java to lead", Duration.ofSeconds(1), java::isLeader);
    // The listener hears of a term just after it begins.
    waitFor("java's listener to hear of its term", Duration.ofSeconds(2), () -> !windows.isEmpty());
    long javaFrom = windows.get(0)[0];
    Duration handOver = Duration.ofNanos(javaFrom - terminatedAt);
    if (releaseSeen || handOver.compareTo(Duration.ofSeconds(2)) < 0) {
      assertThat(handOver)
          .as("hand-over from client-go (release on cancel) to this library through its watch")
          .isLessThan(Duration.ofSeconds(2));
    } else {
      System.err.printf(
          "[interop] client-go did not release (its known conflict on release); taken after %d ms%n",
          handOver.toMillis());
      assertThat(handOver)
          .as("client-go's Lease left held is taken when it expires")
          .isLessThan(FAST.leaseDuration().plusSeconds(1));
    }
    // Note: client-go calls OnStoppedLeading only after its release write, so its stop callback may
    // come after this library already leads; its work was cancelled (ctx) before the release.
    waitFor(
        "client-go's stop callback",
        Duration.ofSeconds(10),
        () -> eventTime(go, "stopped-leading").isPresent());

    // 4. a new client-go candidate waits while java leads, then takes over after java releases
    ClientGoProbe.Candidate go2 = startGoCandidate(ns, name, "go-2");
    Thread.sleep(FAST.leaseDuration().toMillis() + 1000);
    assertThat(eventTime(go2, "started-leading")).as("client-go respects our live lease").isEmpty();
    java.close();
    waitFor(
        "client-go to lead again",
        Duration.ofSeconds(10),
        () -> eventTime(go2, "started-leading").isPresent());
    long javaUntil =
        windows.stream().filter(w -> w[1] > 0).mapToLong(w -> w[1]).max().orElseThrow();
    assertThat(eventTime(go2, "started-leading").orElseThrow())
        .as("client-go starts after this library's term ended")
        .isGreaterThan(javaUntil);
  }
}
