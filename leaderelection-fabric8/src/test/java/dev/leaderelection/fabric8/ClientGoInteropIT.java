package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.readLines;
import static dev.leaderelection.fabric8.It.sigterm;
import static dev.leaderelection.fabric8.It.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
  private static final Pattern EVENT =
      Pattern.compile("EVENT t=(\\d+) id=(\\S+) event=(\\S+)(?: leader=(\\S+))?");

  private static Path probe = Path.of("missing");

  private final LocalControlPlane cluster;
  private final List<Process> processes = new ArrayList<>();
  private final List<LeaderElector> electors = new ArrayList<>();

  ClientGoInteropIT(LocalControlPlane cluster) {
    this.cluster = cluster;
  }

  @BeforeAll
  static void buildProbe() throws Exception {
    Path script = Path.of("..", "interop", "clientgo", "build.sh").toAbsolutePath().normalize();
    Process p =
        new ProcessBuilder("bash", script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    int code = p.waitFor();
    if (code != 0) {
      throw new IllegalStateException(
          "Could not build the client-go interop probe with "
              + script
              + " (exit "
              + code
              + (code == 2 ? ": install Go >= 1.26" : "")
              + ")");
    }
    probe = Path.of(out.substring(out.lastIndexOf('=') + 1));
    assertThat(probe).isExecutable();
  }

  @AfterEach
  void stop() {
    electors.forEach(LeaderElector::close);
    processes.forEach(Process::destroyForcibly);
  }

  private KubernetesLeaseLock lock(String ns, String name, String id) {
    return KubernetesLeaseLock.builder(cluster.adminClient())
        .name(name)
        .namespace(ns)
        .identity(id)
        .build();
  }

  private String probeRead(String ns, String name) throws Exception {
    Process p =
        new ProcessBuilder(
                probe.toString(),
                "read",
                "-kubeconfig",
                cluster.kubeconfigFile().toString(),
                "-namespace",
                ns,
                "-name",
                name)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("clientgo-probe read: %s", out).isZero();
    return out;
  }

  /** A client-go candidate; its EVENT lines are collected as they come. */
  private List<String[]> startGoCandidate(String ns, String name, String id) throws IOException {
    Process p =
        new ProcessBuilder(
                probe.toString(),
                "elect",
                "-kubeconfig",
                cluster.kubeconfigFile().toString(),
                "-namespace",
                ns,
                "-name",
                name,
                "-id",
                id,
                "-lease",
                "4s",
                "-renew",
                "3s",
                "-retry",
                "1s")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    processes.add(p);
    List<String[]> events = Collections.synchronizedList(new ArrayList<>());
    readLines(
        p,
        line -> {
          Matcher m = EVENT.matcher(line);
          if (m.matches()) {
            events.add(new String[] {m.group(1), m.group(3), String.valueOf(m.group(4))});
          }
        });
    return events;
  }

  private static Optional<Long> eventTime(List<String[]> events, String event) {
    synchronized (events) {
      return events.stream()
          .filter(e -> e[1].equals(event))
          .map(e -> Long.parseLong(e[0]))
          .findFirst();
    }
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
    List<String[]> go = startGoCandidate(ns, name, "go-1");
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
    sigterm(processes.get(0)); // client-go's ReleaseOnCancel
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
    List<String[]> go2 = startGoCandidate(ns, name, "go-2");
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
