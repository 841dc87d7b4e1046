package dev.leaderelection.fabric8;

import static dev.leaderelection.fabric8.It.readLines;
import static dev.leaderelection.fabric8.It.sigterm;
import static dev.leaderelection.fabric8.It.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three candidates in three JVMs against the real apiserver: exactly one leads; a leader killed
 * with SIGKILL is replaced after about leaseDuration; a leader stopped with SIGTERM hands over at
 * once; validity windows never overlap (on the machine's shared monotonic clock).
 */
@ExtendWith(LocalControlPlaneExtension.class)
class MultiProcessElectionIT {
  private static final Pattern EVENT =
      Pattern.compile(
          "EVENT t=(\\d+) id=(\\S+) event=(\\S+)(?: from=(-?\\d+) until=(-?\\d+) token=(\\d+))?");
  private static final long LEASE_S = 4;
  private static final long RENEW_S = 3;
  private static final long RETRY_S = 1;

  record Event(long t, String id, String event, long from, long until, long token) {}

  private final LocalControlPlane cluster;
  private final Map<String, Process> processes = new HashMap<>();
  private final List<Event> events = Collections.synchronizedList(new ArrayList<>());

  MultiProcessElectionIT(LocalControlPlane cluster) {
    this.cluster = cluster;
  }

  @AfterEach
  void stop() {
    processes.values().forEach(Process::destroyForcibly);
  }

  private void startCandidate(String ns, String name, String id) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                CandidateMain.class.getName(),
                cluster.apiServerUrl(),
                cluster.adminToken(),
                ns,
                name,
                id,
                Long.toString(LEASE_S),
                Long.toString(RENEW_S),
                Long.toString(RETRY_S))
            .redirectError(cluster.directory().resolve("candidate-" + id + ".log").toFile())
            .start();
    processes.put(id, p);
    readLines(
        p,
        line -> {
          Matcher m = EVENT.matcher(line);
          if (m.matches()) {
            events.add(
                new Event(
                    Long.parseLong(m.group(1)),
                    m.group(2),
                    m.group(3),
                    m.group(4) == null ? 0 : Long.parseLong(m.group(4)),
                    m.group(5) == null ? 0 : Long.parseLong(m.group(5)),
                    m.group(6) == null ? 0 : Long.parseLong(m.group(6))));
          }
        });
  }

  private List<Event> starts() {
    synchronized (events) {
      return events.stream().filter(e -> e.event().equals("started")).toList();
    }
  }

  private Optional<Event> endOf(String id) {
    synchronized (events) {
      return events.stream()
          .filter(e -> e.id().equals(id) && e.event().equals("ended"))
          .findFirst();
    }
  }

  @Test
  void threeProcessesElectOneLeaderAndHandOverOnCrashAndOnShutdown() throws Exception {
    String ns = cluster.createUniqueNamespace("multi");
    for (String id : List.of("p1", "p2", "p3")) {
      startCandidate(ns, "singleton", id);
    }
    waitFor("a first leader", Duration.ofSeconds(60), () -> starts().size() >= 1);
    Thread.sleep(Duration.ofSeconds(LEASE_S * 2).toMillis());
    assertThat(starts()).as("exactly one leader while nothing fails").hasSize(1);
    Event first = starts().get(0);

    // Crash: SIGKILL, no release. The next leader starts about leaseDuration later.
    long killedAt = System.nanoTime();
    java.util.Objects.requireNonNull(processes.get(first.id())).destroyForcibly().waitFor();
    waitFor(
        "a leader after the crash", Duration.ofSeconds(LEASE_S * 3), () -> starts().size() >= 2);
    Event second = starts().get(1);
    Duration failover = Duration.ofNanos(second.from() - killedAt);
    assertThat(failover)
        .as("crash fail-over waits out the lease, then takes over promptly")
        .isGreaterThan(Duration.ofSeconds(LEASE_S - RETRY_S).minusMillis(200))
        .isLessThan(Duration.ofSeconds(LEASE_S).plusMillis(1500));
    assertThat(second.token()).isGreaterThan(first.token());

    // Graceful: SIGTERM, the leader releases; the third takes over through its watch.
    long stoppedAt = System.nanoTime();
    sigterm(java.util.Objects.requireNonNull(processes.get(second.id())));
    waitFor(
        "a leader after the hand-over",
        Duration.ofSeconds(LEASE_S * 3),
        () -> starts().size() >= 3);
    Event third = starts().get(2);
    Duration handover = Duration.ofNanos(third.from() - stoppedAt);
    assertThat(handover).as("graceful hand-over").isLessThan(Duration.ofSeconds(2));
    assertThat(third.token()).isGreaterThan(second.token());

    // No two validity windows overlap. The killed leader's window is bounded by its last report
    // plus renewDeadline at most; use the start of the next leader as the test.
    waitFor(
        "the second leader's end to be reported",
        Duration.ofSeconds(10),
        () -> endOf(second.id()).isPresent());
    Optional<Event> secondEnded = endOf(second.id());
    assertThat(secondEnded).isPresent();
    assertThat(third.from()).isGreaterThanOrEqualTo(secondEnded.get().until());
    assertThat(second.from()).isGreaterThan(killedAt);
  }
}
