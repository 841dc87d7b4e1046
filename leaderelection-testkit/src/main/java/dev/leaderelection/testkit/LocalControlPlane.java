package dev.leaderelection.testkit;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * A real Kubernetes control plane on this machine: etcd and kube-apiserver on 127.0.0.1 with free
 * ports, RBAC authorization, an admin token in group {@code system:masters}, and service-account
 * token signing (so the TokenRequest API works). No controller-manager or scheduler runs: Leases,
 * ServiceAccounts and RBAC objects work; Pods are never scheduled and namespaces are never deleted.
 * The {@code CoordinatedLeaderElection} feature gate is on (with {@code
 * coordination.k8s.io/v1beta1} served), so that a Lease's {@code strategy} and {@code
 * preferredHolder} are stored rather than dropped.
 *
 * <p>{@link #start(Path)} first runs {@code controlplane/build.sh} (embedded in this jar), which
 * builds the binaries from the Go module proxy once per machine and then only prints their paths.
 * Without Go it fails with an {@link IllegalStateException} saying what to install: integration
 * tests fail loudly, they never skip.
 *
 * <p>Logs, keys and the etcd data live under the directory given to {@link #start(Path)}, which is
 * made accessible to its owner only ({@code 0700}, where the file system has POSIX permissions);
 * the files holding credentials (the admin token in {@code tokens.csv}, the {@link
 * #kubeconfigFile() kubeconfig} and the service-account signing key {@code pki/sa.key}) are {@code
 * 0600}. The processes are stopped by {@link #close()}, by a JVM shutdown hook, and, if the JVM is
 * killed with SIGKILL, by a watchdog shell that polls this JVM's pid. A later start in the same
 * directory also kills anything an earlier run left there.
 *
 * <p>Failure injection: {@link #restartApiServer()}, {@link #stopApiServer()}/{@link
 * #startApiServer()}, {@link #pauseApiServer()}/{@link #resumeApiServer()} (SIGSTOP/SIGCONT: the
 * port stays open but nothing answers), and the same for etcd. Use a {@link TcpRelay} to cut off a
 * single client.
 *
 * <p>Thread-safe; the lifecycle methods are serialized.
 */
public final class LocalControlPlane implements TestCluster {

  private static final Set<LocalControlPlane> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (LocalControlPlane cp : OPEN) {
                    cp.killNow();
                  }
                },
                "leaderelection-controlplane-shutdown"));
  }

  /**
   * kube-apiserver stops listening at once on SIGTERM but may then wait for long-running requests
   * (watches) to end before it exits; it is killed after this grace period.
   */
  private static final Duration API_SERVER_STOP_GRACE = Duration.ofSeconds(5);

  private static final Duration ETCD_STOP_GRACE = Duration.ofSeconds(10);

  private final Path dir;
  private final ControlPlaneBinaries.Paths3 binaries;
  private final Duration startTimeout;
  private final String adminToken;
  private final int etcdPort;
  private final int etcdPeerPort;
  private final int apiPort;
  private final HttpClient probe;

  private @Nullable ManagedProcess etcd;
  private @Nullable ManagedProcess apiServer;
  private @Nullable KubernetesClient adminClient;
  private Duration lastApiServerStartup = Duration.ZERO;
  private boolean closed;

  private LocalControlPlane(Path dir, ControlPlaneBinaries.Paths3 binaries, Duration startTimeout)
      throws IOException {
    this.dir = dir;
    this.binaries = binaries;
    this.startTimeout = startTimeout;
    byte[] token = new byte[24];
    new SecureRandom().nextBytes(token);
    this.adminToken = HexFormat.of().formatHex(token);
    this.etcdPort = freePort();
    this.etcdPeerPort = freePort();
    this.apiPort = freePort();
    this.probe =
        HttpClient.newBuilder()
            .sslContext(trustAll())
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  /**
   * Builds the binaries if needed and starts etcd and kube-apiserver, waiting until {@code /readyz}
   * answers 200 (at most 90 s, or the system property {@code leaderelection.controlplane.timeout}
   * in seconds).
   *
   * @param dir where logs ({@code etcd.log}, {@code kube-apiserver.log}), keys and data go; created
   *     if missing. Processes an earlier run left behind in it are killed.
   * @return the running control plane
   * @throws IllegalStateException if the binaries cannot be built (for example Go is missing) or
   *     the control plane does not become ready; the message says why and shows the log's tail
   */
  public static LocalControlPlane start(Path dir) {
    ControlPlaneBinaries.Paths3 binaries = ControlPlaneBinaries.ensure();
    Duration timeout = Duration.ofSeconds(Long.getLong("leaderelection.controlplane.timeout", 90L));
    LocalControlPlane cp;
    try {
      Path abs = dir.toAbsolutePath().normalize();
      createPrivateDirectory(abs);
      ManagedProcess.killStale(abs.resolve("kube-apiserver.pid"), "kube-apiserver");
      ManagedProcess.killStale(abs.resolve("etcd.pid"), "etcd");
      cp = new LocalControlPlane(abs, binaries, timeout);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    OPEN.add(cp);
    try {
      cp.init();
      return cp;
    } catch (RuntimeException | Error e) {
      cp.close();
      throw e;
    }
  }

  private void init() {
    try {
      createPrivateDirectory(dir.resolve("pki"));
      writePrivate(dir.resolve("tokens.csv"), adminToken + ",admin,admin-uid,\"system:masters\"\n");
      writeServiceAccountKeys();
      deleteTree(dir.resolve("etcd-data"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    startEtcd();
    startApiServer();
    writeKubeconfig();
  }

  private void writeServiceAccountKeys() throws IOException {
    KeyPair kp;
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      kp = gen.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    writePrivate(dir.resolve("pki/sa.key"), pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
    writePrivate(dir.resolve("pki/sa.pub"), pem("PUBLIC KEY", kp.getPublic().getEncoded()));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** {@return the API server's base URL, {@code https://127.0.0.1:PORT}} */
  @Override
  public String apiServerUrl() {
    return "https://127.0.0.1:" + apiPort;
  }

  /** {@return the API server's port on 127.0.0.1; it stays the same across restarts} */
  public int apiServerPort() {
    return apiPort;
  }

  /** {@return etcd's client URL, {@code http://127.0.0.1:PORT}} */
  public String etcdUrl() {
    return "http://127.0.0.1:" + etcdPort;
  }

  /** {@return the bearer token of the admin user (group {@code system:masters})} */
  public String adminToken() {
    return adminToken;
  }

  /** {@return the directory with the logs, keys and etcd data} */
  public Path directory() {
    return dir;
  }

  /** {@return the kube-apiserver log file} */
  public Path apiServerLog() {
    return dir.resolve("kube-apiserver.log");
  }

  /**
   * How long the last start of kube-apiserver took, from launching the process to {@code /readyz}
   * answering 200.
   *
   * @return the duration of the last start
   */
  public synchronized Duration lastApiServerStartup() {
    return lastApiServerStartup;
  }

  @Override
  public synchronized KubernetesClient adminClient() {
    checkOpen();
    KubernetesClient c = adminClient;
    if (c == null) {
      c = new KubernetesClientBuilder().withConfig(adminConfig()).build();
      adminClient = c;
    }
    return c;
  }

  @Override
  public Config adminConfig() {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(apiServerUrl())
        .withOauthToken(adminToken)
        .withTrustCerts(true)
        .withDisableHostnameVerification(true)
        .build();
  }

  @Override
  public Path kubeconfigFile() {
    return dir.resolve("kubeconfig");
  }

  /**
   * The {@code kubectl} built with kube-apiserver (the same Kubernetes version).
   *
   * @return its absolute path
   * @throws IllegalStateException if it is not known: the binaries came from {@code KUBE_APISERVER}
   *     and {@code ETCD} without {@code KUBECTL}
   */
  public Path kubectl() {
    Path k = binaries.kubectl();
    if (k == null || !Files.isExecutable(k)) {
      throw new IllegalStateException(
          "no kubectl: KUBE_APISERVER and ETCD are set but KUBECTL is not (or is not executable);"
              + " set KUBECTL to a kubectl binary, or unset all three to use controlplane/build.sh,"
              + " which builds kubectl with kube-apiserver");
    }
    return k;
  }

  /**
   * Runs {@code kubectl} with the admin {@link #kubeconfigFile() kubeconfig} and waits for it (at
   * most 60 s).
   *
   * @param args the arguments after {@code kubectl}, such as {@code ["-n", "ns", "get", "leases"]}
   * @return what it printed on standard output
   * @throws IllegalStateException if it exits with another code than 0 (the message has its output)
   *     or does not exit in time
   */
  public String kubectl(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(kubectl().toString());
    cmd.add("--kubeconfig=" + kubeconfigFile());
    cmd.addAll(args);
    try {
      Path out = Files.createTempFile(dir, "kubectl-", ".out");
      try {
        Process p =
            new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("kubectl did not exit within 60 s: " + args);
        }
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          throw new IllegalStateException(
              "kubectl "
                  + String.join(" ", args)
                  + " exited with "
                  + p.exitValue()
                  + ":\n"
                  + printed);
        }
        return printed;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running kubectl", e);
    }
  }

  /**
   * Stops kube-apiserver (SIGTERM, SIGKILL after 5 s) and starts it again on the same port with the
   * same state; returns when it is ready. Connections and watches of clients break.
   */
  public synchronized void restartApiServer() {
    stopApiServer();
    startApiServer();
  }

  /**
   * Stops kube-apiserver: SIGTERM, and SIGKILL if it has not exited after 5 s. The port refuses
   * connections until {@link #startApiServer()}.
   */
  public synchronized void stopApiServer() {
    ManagedProcess p = apiServer;
    if (p != null) {
      p.stop(API_SERVER_STOP_GRACE);
      apiServer = null;
    }
  }

  /** Starts kube-apiserver if it is not running and waits until it is ready. */
  public synchronized void startApiServer() {
    checkOpen();
    if (apiServer != null && apiServer.isAlive()) {
      return;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(binaries.kubeApiserver().toString());
    cmd.add("--etcd-servers=" + etcdUrl());
    cmd.add("--bind-address=127.0.0.1");
    cmd.add("--advertise-address=127.0.0.1");
    cmd.add("--secure-port=" + apiPort);
    cmd.add("--cert-dir=" + dir.resolve("pki"));
    cmd.add("--token-auth-file=" + dir.resolve("tokens.csv"));
    cmd.add("--authorization-mode=RBAC");
    cmd.add("--service-account-issuer=https://kubernetes.default.svc.cluster.local");
    cmd.add("--service-account-key-file=" + dir.resolve("pki/sa.pub"));
    cmd.add("--service-account-signing-key-file=" + dir.resolve("pki/sa.key"));
    cmd.add("--service-cluster-ip-range=10.0.0.0/24");
    cmd.add("--disable-admission-plugins=ServiceAccount");
    cmd.add("--allow-privileged=true");
    cmd.add("--profiling=false");
    cmd.add("--feature-gates=CoordinatedLeaderElection=true");
    cmd.add("--runtime-config=coordination.k8s.io/v1beta1=true");
    long t0 = System.nanoTime();
    ManagedProcess p = launch("kube-apiserver", cmd);
    apiServer = p;
    waitReady(
        p,
        () -> {
          HttpRequest req =
              HttpRequest.newBuilder(URI.create(apiServerUrl() + "/readyz"))
                  .header("Authorization", "Bearer " + adminToken)
                  .timeout(Duration.ofSeconds(2))
                  .build();
          return probe.send(req, HttpResponse.BodyHandlers.ofString());
        });
    lastApiServerStartup = Duration.ofNanos(System.nanoTime() - t0);
    System.err.printf(
        "[testkit] kube-apiserver (pid %d) ready at %s in %.1f s%n",
        p.pid(), apiServerUrl(), lastApiServerStartup.toMillis() / 1000.0);
  }

  /** Freezes kube-apiserver (SIGSTOP): connections are accepted by the kernel, never answered. */
  public synchronized void pauseApiServer() {
    running(apiServer, "kube-apiserver").pause();
  }

  /** Resumes a frozen kube-apiserver (SIGCONT). */
  public synchronized void resumeApiServer() {
    running(apiServer, "kube-apiserver").resume();
  }

  /** Stops etcd; the API server then fails requests that need storage. */
  public synchronized void stopEtcd() {
    ManagedProcess p = etcd;
    if (p != null) {
      p.stop(ETCD_STOP_GRACE);
      etcd = null;
    }
  }

  /** Starts etcd (with the data it had) if it is not running, and waits until it is healthy. */
  public synchronized void startEtcd() {
    checkOpen();
    if (etcd != null && etcd.isAlive()) {
      return;
    }
    String peer = "http://127.0.0.1:" + etcdPeerPort;
    List<String> cmd =
        List.of(
            binaries.etcd().toString(),
            "--name=default",
            "--data-dir=" + dir.resolve("etcd-data"),
            "--listen-client-urls=" + etcdUrl(),
            "--advertise-client-urls=" + etcdUrl(),
            "--listen-peer-urls=" + peer,
            "--initial-advertise-peer-urls=" + peer,
            "--initial-cluster=default=" + peer,
            "--unsafe-no-fsync",
            "--log-level=warn");
    ManagedProcess p = launch("etcd", cmd);
    etcd = p;
    waitReady(
        p,
        () ->
            probe.send(
                HttpRequest.newBuilder(URI.create(etcdUrl() + "/health"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
  }

  /** Freezes etcd (SIGSTOP): the API server's storage calls hang until its own timeouts. */
  public synchronized void pauseEtcd() {
    running(etcd, "etcd").pause();
  }

  /** Resumes a frozen etcd (SIGCONT). */
  public synchronized void resumeEtcd() {
    running(etcd, "etcd").resume();
  }

  /** Stops both processes and closes the admin client. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    KubernetesClient c = adminClient;
    adminClient = null;
    if (c != null) {
      c.close();
    }
    stopApiServer();
    stopEtcd();
    OPEN.remove(this);
  }

  /** For the shutdown hook: kill without waiting for locks or grace periods. */
  private void killNow() {
    ManagedProcess a = apiServer;
    ManagedProcess e = etcd;
    if (a != null) {
      a.kill();
    }
    if (e != null) {
      e.kill();
    }
  }

  @Override
  public String toString() {
    return "LocalControlPlane[" + apiServerUrl() + ", " + dir + "]";
  }

  private ManagedProcess launch(String name, List<String> cmd) {
    Path log = dir.resolve(name + ".log");
    try {
      Files.writeString(
          log,
          "==== " + Instant.now() + " starting: " + String.join(" ", cmd) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      return ManagedProcess.start(name, cmd, log, dir.resolve(name + ".pid"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface Probe {
    HttpResponse<String> call() throws IOException, InterruptedException;
  }

  private void waitReady(ManagedProcess p, Probe probeCall) {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    String last = "no answer yet";
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            p.name()
                + " exited during startup; last lines of "
                + p.log()
                + ":\n"
                + ManagedProcess.tail(p.log()));
      }
      try {
        HttpResponse<String> r = probeCall.call();
        if (r.statusCode() == 200) {
          return;
        }
        last = "HTTP " + r.statusCode() + ": " + abbreviate(r.body());
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + p.name(), e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            p.name()
                + " did not become ready within "
                + startTimeout.toSeconds()
                + " s (last probe: "
                + last
                + "); last lines of "
                + p.log()
                + ":\n"
                + ManagedProcess.tail(p.log()));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + p.name(), e);
      }
    }
  }

  private static String abbreviate(String s) {
    String one = s.replace('\n', ' ');
    return one.length() > 300 ? one.substring(0, 300) + "…" : one;
  }

  private void writeKubeconfig() {
    String ca = "";
    Path crt = dir.resolve("pki/apiserver.crt");
    try {
      if (Files.exists(crt)) {
        ca = Base64.getEncoder().encodeToString(Files.readAllBytes(crt));
      }
      String yaml =
          "apiVersion: v1\n"
              + "kind: Config\n"
              + "clusters:\n"
              + "- name: local\n"
              + "  cluster:\n"
              + "    server: "
              + apiServerUrl()
              + "\n"
              + (ca.isEmpty()
                  ? "    insecure-skip-tls-verify: true\n"
                  : "    certificate-authority-data: " + ca + "\n")
              + "users:\n"
              + "- name: admin\n"
              + "  user:\n"
              + "    token: "
              + adminToken
              + "\n"
              + "contexts:\n"
              + "- name: local\n"
              + "  context:\n"
              + "    cluster: local\n"
              + "    user: admin\n"
              + "current-context: local\n";
      writePrivate(kubeconfigFile(), yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this control plane is closed");
    }
  }

  private static ManagedProcess running(@Nullable ManagedProcess p, String name) {
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException(name + " is not running");
    }
    return p;
  }

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  /** Creates {@code d} (and missing parents) and makes it accessible to its owner only. */
  private static void createPrivateDirectory(Path d) throws IOException {
    Files.createDirectories(d);
    if (POSIX) {
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /**
   * Writes {@code content} to {@code file}, readable and writable by its owner only; the
   * permissions are set before anything is written.
   */
  private static void writePrivate(Path file, String content) throws IOException {
    if (POSIX) {
      Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
      } catch (FileAlreadyExistsException e) {
        Files.setPosixFilePermissions(file, ownerOnly);
      }
    }
    Files.writeString(
        file,
        content,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  /**
   * Trusts any certificate and skips host name checks: only for probing our own loopback server.
   */
  private static SSLContext trustAll() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, new SecureRandom());
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(
        X509Certificate[] chain, String authType, java.net.Socket socket) {}

    @Override
    public void checkServerTrusted(
        X509Certificate[] chain, String authType, java.net.Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
