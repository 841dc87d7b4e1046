package dev.leaderelection.examples.demo;

import dev.leaderelection.examples.worker.FencedOutput;
import dev.leaderelection.examples.worker.Manifests;
import dev.leaderelection.testkit.LocalControlPlane;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The demo: a real local control plane, the singleton worker's RBAC, three worker processes that
 * each authenticate with their own ServiceAccount token, a crash of the leader (SIGKILL) and a
 * graceful stop of the next one (SIGTERM), and a timeline with the measured fail-over and hand-over
 * times. Run by {@code examples/demo.sh}.
 *
 * <p>All times come from the workers' {@code EVENT} lines and from this process, on {@link
 * System#nanoTime()}: on Linux the monotonic clock that all processes of the machine share.
 */
public final class Demo {
  private static final String NAMESPACE_MANIFEST = "k8s/namespace.yaml";
  private static final String RBAC_MANIFEST = "k8s/rbac.yaml";
  private static final String WORKER_MAIN = "dev.leaderelection.examples.worker.SingletonWorker";
  private static final String LEASE = "singleton-worker";
  private static final String OUTPUT = "worker-output";
  private static final int WORKERS = 3;

  /** The fast profile: leaseDuration 4 s, renewDeadline 3 s, retryPeriod 1 s. */
  private static final Duration LEASE_DURATION = Duration.ofSeconds(4);

  private static final Duration RENEW_DEADLINE = Duration.ofSeconds(3);
  private static final Duration RETRY_PERIOD = Duration.ofSeconds(1);
  private static final Duration WORK_INTERVAL = Duration.ofMillis(500);

  private final PrintStream out = System.out;
  private final Path dir;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private @Nullable LocalControlPlane controlPlane;
  private long t0;

  /** A worker process. */
  private static final class Worker {
    final String name;
    final Process process;
    final Path log;

    Worker(String name, Process process, Path log) {
      this.name = name;
      this.process = process;
      this.log = log;
    }
  }

  /** The demo did not go as expected; the message says what was missing. */
  private static final class DemoFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DemoFailure(String message) {
      super(message);
    }
  }

  private Demo(Path dir) {
    this.dir = dir;
  }

  /**
   * Runs the demo.
   *
   * @param args optional: the directory for logs (default: a new temporary directory)
   * @throws IOException if the directory cannot be created
   */
  public static void main(String[] args) throws IOException {
    Path dir =
        args.length > 0
            ? Files.createDirectories(Path.of(args[0]).toAbsolutePath().normalize())
            : Files.createTempDirectory("leaderelection-demo-");
    Demo demo = new Demo(dir);
    Thread hook = new Thread(demo::tearDownQuietly, "demo-teardown");
    Runtime.getRuntime().addShutdownHook(hook);
    int rc = 0;
    try {
      demo.run();
    } catch (DemoFailure e) {
      System.out.println();
      System.out.println("[demo] FAILED: " + e.getMessage());
      demo.printLogTails();
      rc = 1;
    } catch (RuntimeException e) {
      System.out.println();
      System.out.println("[demo] FAILED: " + e);
      e.printStackTrace(System.out);
      demo.printLogTails();
      rc = 1;
    } finally {
      demo.tearDown();
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    System.exit(rc);
  }

  private void run() {
    out.printf(
        "Leader election demo: %d workers compete for Lease %s; the leader writes the fenced ConfigMap"
            + " %s.%n",
        WORKERS, LEASE, OUTPUT);
    out.printf(
        "Timing (fast profile): leaseDuration %s, renewDeadline %s, retryPeriod %s. Logs: %s%n%n",
        secs(LEASE_DURATION), secs(RENEW_DEADLINE), secs(RETRY_PERIOD), dir);

    // 1. The control plane.
    step(1, "Starting a local control plane (etcd + kube-apiserver, real binaries, loopback only)");
    LocalControlPlane cp = LocalControlPlane.start(dir.resolve("controlplane"));
    controlPlane = cp;
    KubernetesClient admin = cp.adminClient();
    detail(
        "ready at %s in %s (admin kubeconfig: %s)",
        cp.apiServerUrl(), secs(cp.lastApiServerStartup()), cp.kubeconfigFile());

    // 2. The example's namespace and RBAC, exactly as in examples/singleton-worker/k8s/.
    step(
        2,
        "Applying examples/singleton-worker/k8s/namespace.yaml and rbac.yaml (server-side apply)");
    List<HasMetadata> objects = new ArrayList<>(Manifests.fromClasspath(NAMESPACE_MANIFEST));
    objects.addAll(Manifests.fromClasspath(RBAC_MANIFEST));
    String namespace = objects.get(0).getMetadata().getName();
    String serviceAccount = LEASE;
    for (HasMetadata o : objects) {
      admin.resource(o).fieldManager("demo").forceConflicts().serverSideApply();
      detail("%s/%s", o.getKind().toLowerCase(Locale.ROOT), o.getMetadata().getName());
      if (o instanceof Role role) {
        for (PolicyRule r : role.getRules()) {
          detail(
              "    rule: %s%s %s",
              r.getResources(),
              r.getResourceNames().isEmpty() ? "" : " named " + r.getResourceNames(),
              r.getVerbs());
        }
      }
    }

    // 3. Three workers, each with its own token of the ServiceAccount.
    step(
        3,
        "Starting %d worker processes, each with its own token for"
            + " system:serviceaccount:%s:%s (TokenRequest API)",
        WORKERS,
        namespace,
        serviceAccount);
    t0 = System.nanoTime();
    for (int i = 1; i <= WORKERS; i++) {
      String name = "worker-" + i;
      String token = cp.serviceAccountConfig(namespace, serviceAccount).getOauthToken();
      Path kubeconfig = writeKubeconfig(cp, name, token);
      events.add(new Event(System.nanoTime(), name, "launched", Map.of()));
      Worker w = startWorker(name, namespace, kubeconfig);
      workers.add(w);
      detail("%s: pid %d, KUBECONFIG=%s", name, w.process.pid(), kubeconfig);
    }

    // 4. Who leads?
    step(4, "Waiting for a leader");
    Event first =
        await(e -> e.name().equals("started-leading"), Duration.ofSeconds(60), "a leader");
    Worker leader1 = worker(first.source());
    await(
        e -> e.name().equals("wrote") && e.source().equals(leader1.name),
        Duration.ofSeconds(10),
        leader1.name + " writing");
    for (Worker w : workers) {
      if (w != leader1) {
        await(
            e ->
                e.source().equals(w.name)
                    && e.name().equals("new-leader")
                    && e.field("leader").orElse("").startsWith(leader1.name + "_"),
            Duration.ofSeconds(20),
            w.name + " seeing the leader");
      }
    }
    detail(
        "%s leads (fencing token %d) and writes %s; %s follow",
        leader1.name, first.token(), OUTPUT, others(leader1));
    pause(Duration.ofMillis(2500)); // let it work and renew a few times

    // 5. Crash: SIGKILL, no release. The others wait for the Lease to expire.
    step(5, "Crash: SIGKILL %s (the leader; it cannot release the Lease)", leader1.name);
    long killedAt = signal(leader1, true);
    Event second =
        await(
            e -> e.t() > killedAt && e.name().equals("started-leading"),
            LEASE_DURATION.multipliedBy(4),
            "a new leader after the crash");
    Worker leader2 = worker(second.source());
    detail(
        "%s took over %s after the crash (fencing token %d)",
        leader2.name, secs(second.t() - killedAt), second.token());
    await(
        e -> e.t() > second.t() && e.name().equals("wrote") && e.source().equals(leader2.name),
        Duration.ofSeconds(10),
        leader2.name + " writing");

    // Fencing: the crashed leader's term can no longer write.
    FencedOutput output = new FencedOutput(admin, namespace, OUTPUT);
    FencedOutput.Result zombie = output.write(first.token(), leader1.name + "-zombie");
    detail(
        "a late write of the dead term (token %d) is rejected: %s (stored token %d)",
        first.token(), zombie.outcome(), zombie.storedToken());
    pause(Duration.ofMillis(1500));

    // 6. Graceful stop: SIGTERM; the worker ends its term, releases, exits.
    step(6, "Graceful stop: SIGTERM %s (it stops its work and releases the Lease)", leader2.name);
    long termAt = signal(leader2, false);
    Event third =
        await(
            e -> e.t() > termAt && e.name().equals("started-leading"),
            LEASE_DURATION.multipliedBy(4),
            "a new leader after SIGTERM");
    Worker leader3 = worker(third.source());
    int exit = waitForExit(leader2, Duration.ofSeconds(30));
    Optional<Event> closed = last(leader2.name, "closed");
    detail(
        "%s took over %s after the SIGTERM (fencing token %d); %s released the Lease and exited"
            + " with code %d",
        leader3.name, secs(third.t() - termAt), third.token(), leader2.name, exit);
    await(
        e -> e.t() > third.t() && e.name().equals("wrote") && e.source().equals(leader3.name),
        Duration.ofSeconds(10),
        leader3.name + " writing");

    ConfigMap cm = Optional.ofNullable(output.read()).orElseThrow();
    Map<String, String> data = cm.getData();

    // The timeline and the numbers.
    printTimeline(killedAt, leader1);
    Optional<Event> lastRenewal =
        events.stream()
            .filter(e -> e.source().equals(leader1.name) && e.name().equals("renewed"))
            .filter(e -> e.t() < killedAt)
            .max(Comparator.comparingLong(Event::t));
    out.println();
    out.println("Results");
    out.printf(
        "  crash fail-over    %8s  SIGKILL of the leader -> next leader%s%n",
        secs(second.t() - killedAt),
        lastRenewal
            .map(r -> " (" + secs(second.t() - r.t()) + " after its last renewal)")
            .orElse(""));
    out.printf(
        "                               bound: leaseDuration (%s) after the followers last saw the"
            + " Lease change, so %s..%s after a crash%n",
        secs(LEASE_DURATION), secs(LEASE_DURATION.minus(RETRY_PERIOD)), secs(LEASE_DURATION));
    out.printf(
        "  graceful hand-over %8s  SIGTERM of the leader -> next leader%s%n",
        secs(third.t() - termAt),
        closed.map(c -> " (" + leader2.name + " was closed at +" + rel(c.t()) + ")").orElse(""));
    out.printf(
        "                               the leader releases the Lease; a follower's watch sees it"
            + " at once%n");
    out.printf(
        "  %s: writer %s, fencing token %s, %s writes in all; the dead term's late write was"
            + " %s%n",
        OUTPUT,
        data.get("writer"),
        data.get("token"),
        data.get("writes"),
        zombie.outcome().name().toLowerCase(Locale.ROOT));
  }

  // ---- workers ----------------------------------------------------------------------------------

  private Worker startWorker(String name, String namespace, Path kubeconfig) {
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd =
        List.of(
            javaBin.toString(),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx128m",
            "-cp",
            System.getProperty("java.class.path"),
            WORKER_MAIN);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.startsWith("POD_"));
    env.put("KUBECONFIG", kubeconfig.toString());
    env.put("POD_NAME", name);
    env.put("POD_NAMESPACE", namespace);
    env.put("LEASE_NAME", LEASE);
    env.put("OUTPUT_CONFIGMAP", OUTPUT);
    env.put("LEASE_DURATION", LEASE_DURATION.toSeconds() + "s");
    env.put("RENEW_DEADLINE", RENEW_DEADLINE.toSeconds() + "s");
    env.put("RETRY_PERIOD", RETRY_PERIOD.toSeconds() + "s");
    env.put("CLOSE_TIMEOUT", "2s");
    env.put("WORK_INTERVAL", WORK_INTERVAL.toMillis() + "ms");
    env.put("LOG_RENEWALS", "true");
    Path log = dir.resolve(name + ".log");
    pb.redirectErrorStream(false);
    pb.redirectError(ProcessBuilder.Redirect.to(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    Process p;
    try {
      p = pb.start();
      p.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
    Path eventsFile = dir.resolve(name + ".events");
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  Writer w = Files.newBufferedWriter(eventsFile, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                  w.write(line);
                  w.write('\n');
                  w.flush();
                  Event e = Event.parse(name, line);
                  if (e != null) {
                    events.add(e);
                  }
                }
              } catch (IOException e) {
                // the process is gone
              }
            },
            "demo-" + name + "-stdout");
    reader.setDaemon(true);
    reader.start();
    return new Worker(name, p, log);
  }

  private Path writeKubeconfig(LocalControlPlane cp, String name, String token) {
    try {
      Path crt = cp.directory().resolve("pki/apiserver.crt");
      String cluster =
          Files.exists(crt)
              ? "    certificate-authority-data: "
                  + Base64.getEncoder().encodeToString(Files.readAllBytes(crt))
                  + "\n"
              : "    insecure-skip-tls-verify: true\n";
      String yaml =
          "apiVersion: v1\n"
              + "kind: Config\n"
              + "clusters:\n"
              + "- name: local\n"
              + "  cluster:\n"
              + "    server: "
              + cp.apiServerUrl()
              + "\n"
              + cluster
              + "users:\n"
              + "- name: "
              + name
              + "\n"
              + "  user:\n"
              + "    token: "
              + token
              + "\n"
              + "contexts:\n"
              + "- name: "
              + name
              + "\n"
              + "  context:\n"
              + "    cluster: local\n"
              + "    user: "
              + name
              + "\n"
              + "current-context: "
              + name
              + "\n";
      Path file = dir.resolve(name + ".kubeconfig");
      // It holds a ServiceAccount token: readable by its owner only, before the token is written.
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.deleteIfExists(file);
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(file, yaml, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends SIGKILL ({@code kill}) or SIGTERM to a worker; returns when, on the shared clock. */
  private long signal(Worker w, boolean kill) {
    long t = System.nanoTime();
    events.add(new Event(t, "demo", kill ? "SIGKILL" : "SIGTERM", Map.of("target", w.name)));
    // Through the ProcessHandle: Process.destroy() would also close our end of the worker's
    // stdout, and we want its last EVENT lines.
    if (kill) {
      w.process.toHandle().destroyForcibly(); // SIGKILL on Linux
    } else {
      w.process.toHandle().destroy(); // SIGTERM on Linux
    }
    return t;
  }

  private int waitForExit(Worker w, Duration timeout) {
    try {
      if (!w.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new DemoFailure(w.name + " did not exit within " + secs(timeout) + " of SIGTERM");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DemoFailure("interrupted");
    }
    events.add(
        new Event(
            System.nanoTime(),
            "demo",
            "exited",
            Map.of("target", w.name, "code", Integer.toString(w.process.exitValue()))));
    return w.process.exitValue();
  }

  private Worker worker(String name) {
    return workers.stream()
        .filter(w -> w.name.equals(name))
        .findFirst()
        .orElseThrow(() -> new DemoFailure("no worker " + name));
  }

  private String others(Worker leader) {
    return workers.stream()
        .filter(w -> w != leader)
        .map(w -> w.name)
        .collect(Collectors.joining(" and "));
  }

  private Event await(Predicate<Event> p, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Event e : events) {
        if (p.test(e)) {
          return e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new DemoFailure("no sign of " + what + " within " + secs(timeout));
      }
      pause(Duration.ofMillis(10));
    }
  }

  private Optional<Event> last(String source, String name) {
    return events.stream()
        .filter(e -> e.source().equals(source) && e.name().equals(name))
        .max(Comparator.comparingLong(Event::t));
  }

  // ---- output -----------------------------------------------------------------------------------

  private void printTimeline(long killedAt, Worker crashed) {
    out.println();
    out.println(
        "Timeline (seconds since the first worker was launched, on the machine's monotonic clock"
            + " that all processes share)");
    Set<String> firstWrites = new HashSet<>();
    Optional<Event> lastRenewalBeforeKill =
        events.stream()
            .filter(e -> e.source().equals(crashed.name) && e.name().equals("renewed"))
            .filter(e -> e.t() < killedAt)
            .max(Comparator.comparingLong(Event::t));
    List<Event> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(Event::t));
    for (Event e : sorted) {
      String text = describe(e, firstWrites, lastRenewalBeforeKill.orElse(null));
      if (text != null) {
        out.printf("  %8s  %-9s %s%n", "+" + rel(e.t()), e.source(), text);
      }
    }
  }

  private @Nullable String describe(
      Event e, Set<String> firstWrites, @Nullable Event lastRenewalBeforeKill) {
    return switch (e.name()) {
      case "launched" -> "JVM launched";
      case "starting" -> "candidate for Lease " + e.field("lease").orElse("?");
      case "started-leading" -> ">> started leading, fencing token " + e.token();
      case "stopped-leading" ->
          "<< stopped leading (term " + e.token() + ", " + e.field("reason").orElse("?") + ")";
      case "wrote" ->
          firstWrites.add(e.source() + "/" + e.token())
              ? "first fenced write of term " + e.token() + " to " + OUTPUT
              : null;
      case "renewed" ->
          lastRenewalBeforeKill != null && e.t() == lastRenewalBeforeKill.t()
              ? "last renewal before the crash"
              : null;
      case "fenced" ->
          "fenced off: token " + e.token() + " < stored " + e.field("stored").orElse("?");
      case "write-conflict" -> "write lost the compare-and-swap (term " + e.token() + ")";
      case "write-failed", "error" -> e.name() + ": " + e.field("msg").orElse("");
      case "closing" -> "SIGTERM received: closing (end the term, stop the work, release)";
      case "closed" -> "closed: Lease released";
      case "SIGKILL", "SIGTERM" -> e.name() + " " + e.field("target").orElse("");
      case "exited" ->
          e.field("target").orElse("") + " exited, code " + e.field("code").orElse("?");
      default -> null;
    };
  }

  private void step(int n, String format, Object... args) {
    out.printf("[%d/6] %s%n", n, String.format(Locale.ROOT, format, args));
  }

  private void detail(String format, Object... args) {
    out.printf("      %s%n", String.format(Locale.ROOT, format, args));
  }

  private String rel(long t) {
    return String.format(Locale.ROOT, "%.3f", (t - t0) / 1e9);
  }

  private static String secs(long nanos) {
    return nanos < 1_000_000_000L
        ? String.format(Locale.ROOT, "%d ms", TimeUnit.NANOSECONDS.toMillis(nanos))
        : String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }

  private static String secs(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : secs(d.toNanos());
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DemoFailure("interrupted");
    }
  }

  private void printLogTails() {
    for (Worker w : workers) {
      out.println("---- last lines of " + w.log);
      try {
        List<String> lines = Files.readAllLines(w.log, StandardCharsets.UTF_8);
        lines
            .subList(Math.max(0, lines.size() - 15), lines.size())
            .forEach(l -> out.println("  " + l));
      } catch (IOException e) {
        out.println("  (cannot read: " + e + ")");
      }
    }
  }

  // ---- teardown ---------------------------------------------------------------------------------

  private synchronized void tearDown() {
    boolean any = workers.stream().anyMatch(w -> w.process.isAlive()) || controlPlane != null;
    if (!any) {
      return;
    }
    out.println();
    out.print("Tearing down: ");
    for (Worker w : workers) {
      if (w.process.isAlive()) {
        w.process.toHandle().destroy();
      }
    }
    for (Worker w : workers) {
      try {
        if (!w.process.waitFor(15, TimeUnit.SECONDS)) {
          w.process.destroyForcibly();
          w.process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        w.process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    out.print("workers stopped; ");
    LocalControlPlane cp = controlPlane;
    controlPlane = null;
    if (cp != null) {
      cp.close();
    }
    out.println("kube-apiserver and etcd stopped.");
  }

  private void tearDownQuietly() {
    for (Worker w : workers) {
      w.process.destroyForcibly();
    }
    LocalControlPlane cp = controlPlane;
    if (cp != null) {
      cp.close();
    }
  }
}
