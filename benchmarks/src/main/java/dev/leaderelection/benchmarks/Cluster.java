package dev.leaderelection.benchmarks;

import dev.leaderelection.testkit.LocalControlPlane;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/** A control plane the benchmark runs against: one apiserver, or the HA one. */
abstract class Cluster implements AutoCloseable {

  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .sslContext(trustAll())
          .connectTimeout(Duration.ofSeconds(2))
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  private @Nullable KubernetesClient admin;

  /** {@return the URL candidates reach the API at (their relays forward to it)} */
  abstract String url();

  abstract String token();

  /** {@return the API servers' own URLs, for /metrics} */
  abstract List<String> apiServerUrls();

  synchronized KubernetesClient admin() {
    KubernetesClient c = admin;
    if (c == null) {
      Config cfg =
          new ConfigBuilder(Config.empty())
              .withMasterUrl(url())
              .withOauthToken(token())
              .withTrustCerts(true)
              .withDisableHostnameVerification(true)
              .build();
      c = new KubernetesClientBuilder().withConfig(cfg).build();
      admin = c;
    }
    return c;
  }

  @Override
  public synchronized void close() {
    KubernetesClient c = admin;
    admin = null;
    if (c != null) {
      c.close();
    }
  }

  /**
   * Scrapes {@code apiserver_request_total} for {@code resource="leases"}, summed by verb over all
   * API servers.
   */
  Map<String, Double> leaseRequestsByVerb() {
    Map<String, Double> out = new HashMap<>();
    Pattern verb = Pattern.compile("verb=\"([A-Z]+)\"");
    for (String u : apiServerUrls()) {
      String body;
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(u + "/metrics"))
                    .header("Authorization", "Bearer " + token())
                    .timeout(Duration.ofSeconds(20))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        body = r.body();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      for (String line : body.split("\n", -1)) {
        if (!line.startsWith("apiserver_request_total{") || !line.contains("resource=\"leases\"")) {
          continue;
        }
        Matcher m = verb.matcher(line);
        if (!m.find()) {
          continue;
        }
        double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        out.merge(m.group(1), v, Double::sum);
      }
    }
    return out;
  }

  static SSLContext trustAll() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          null,
          new javax.net.ssl.TrustManager[] {
            new X509TrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public void checkServerTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          new SecureRandom());
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The single etcd + kube-apiserver of the test kit. */
  static final class Single extends Cluster {
    final LocalControlPlane cp;

    Single(Path dir) {
      this.cp = LocalControlPlane.start(dir);
    }

    @Override
    String url() {
      return cp.apiServerUrl();
    }

    @Override
    String token() {
      return cp.adminToken();
    }

    @Override
    List<String> apiServerUrls() {
      return List.of(cp.apiServerUrl());
    }

    @Override
    public synchronized void close() {
      super.close();
      cp.close();
    }
  }

  /**
   * The highly available control plane: three etcd members, two kube-apiservers, HAProxy in TCP
   * mode in front of them, all on 127.0.0.1.
   */
  static final class Ha extends Cluster {
    private final Path dir;
    private final Map<String, String> bins;
    private final String adminToken;
    private final int[] etcdClient = new int[3];
    private final int[] etcdPeer = new int[3];
    private final int[] apiPort = new int[2];
    private final int haPort;
    private final @Nullable Process[] etcd = new Process[3];
    private final @Nullable Process[] api = new Process[2];
    private @Nullable Process haproxy;

    Ha(Path dir, Map<String, String> bins) {
      this.dir = dir;
      this.bins = bins;
      byte[] t = new byte[24];
      new SecureRandom().nextBytes(t);
      this.adminToken = HexFormat.of().formatHex(t);
      for (int i = 0; i < 3; i++) {
        etcdClient[i] = freePort();
        etcdPeer[i] = freePort();
      }
      apiPort[0] = freePort();
      apiPort[1] = freePort();
      haPort = freePort();
      Runtime.getRuntime().addShutdownHook(new Thread(this::killAll, "ha-shutdown"));
      try {
        Files.createDirectories(dir.resolve("pki"));
        Files.writeString(
            dir.resolve("tokens.csv"), adminToken + ",admin,admin-uid,\"system:masters\"\n");
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        byte[] der = gen.generateKeyPair().getPrivate().getEncoded();
        Files.writeString(
            dir.resolve("pki/sa.key"),
            "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("haproxy.cfg"), haproxyConfig());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      for (int i = 0; i < 3; i++) {
        startEtcd(i, true);
      }
      for (int i = 0; i < 3; i++) {
        waitHttp("http://127.0.0.1:" + etcdClient[i] + "/health", null);
      }
      for (int i = 0; i < 2; i++) {
        startApiServer(i);
      }
      haproxy =
          launch(
              "haproxy",
              List.of(bins.get("HAPROXY"), "-db", "-f", dir.resolve("haproxy.cfg").toString()));
      waitHttp(url() + "/readyz", adminToken);
    }

    private String haproxyConfig() {
      return "global\n  maxconn 4096\n"
          + "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 1h\n"
          + "  timeout server 1h\n  timeout tunnel 1h\n"
          + "frontend api\n  bind 127.0.0.1:"
          + haPort
          + "\n  default_backend apiservers\n"
          + "backend apiservers\n  balance roundrobin\n  option tcp-check\n"
          + "  server a0 127.0.0.1:"
          + apiPort[0]
          + " check inter 500ms fall 2 rise 2\n"
          + "  server a1 127.0.0.1:"
          + apiPort[1]
          + " check inter 500ms fall 2 rise 2\n";
    }

    private String initialCluster() {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        parts.add("e" + i + "=http://127.0.0.1:" + etcdPeer[i]);
      }
      return String.join(",", parts);
    }

    String etcdEndpoints() {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        parts.add("http://127.0.0.1:" + etcdClient[i]);
      }
      return String.join(",", parts);
    }

    private synchronized void startEtcd(int i, boolean fresh) {
      String peer = "http://127.0.0.1:" + etcdPeer[i];
      String client = "http://127.0.0.1:" + etcdClient[i];
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  bins.get("ETCD"),
                  "--name=e" + i,
                  "--data-dir=" + dir.resolve("etcd" + i),
                  "--listen-client-urls=" + client,
                  "--advertise-client-urls=" + client,
                  "--listen-peer-urls=" + peer,
                  "--initial-advertise-peer-urls=" + peer,
                  "--initial-cluster=" + initialCluster(),
                  "--initial-cluster-token=bench-ha",
                  "--unsafe-no-fsync",
                  "--log-level=warn"));
      cmd.add("--initial-cluster-state=" + (fresh ? "new" : "existing"));
      etcd[i] = launch("etcd" + i, cmd);
    }

    private synchronized void startApiServer(int i) {
      String pki = dir.resolve("pki").toString();
      List<String> cmd =
          List.of(
              bins.get("KUBE_APISERVER"),
              "--etcd-servers=" + etcdEndpoints(),
              "--bind-address=127.0.0.1",
              "--advertise-address=127.0.0.1",
              "--secure-port=" + apiPort[i],
              "--cert-dir=" + dir.resolve("pki-a" + i),
              "--token-auth-file=" + dir.resolve("tokens.csv"),
              "--authorization-mode=RBAC",
              "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
              "--service-account-key-file=" + pki + "/sa.key",
              "--service-account-signing-key-file=" + pki + "/sa.key",
              "--service-cluster-ip-range=10.0.0.0/24",
              "--disable-admission-plugins=ServiceAccount",
              "--profiling=false");
      api[i] = launch("kube-apiserver" + i, cmd);
      waitHttp("https://127.0.0.1:" + apiPort[i] + "/readyz", adminToken);
    }

    private Process launch(String name, List<String> cmd) {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
      try {
        return pb.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void waitHttp(String u, @Nullable String bearer) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (System.nanoTime() < deadline) {
        try {
          HttpRequest.Builder b =
              HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofSeconds(2));
          if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
          }
          if (HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not yet
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        sleepMillis(200);
      }
      throw new IllegalStateException(u + " not ready within 120 s; see logs in " + dir);
    }

    @Override
    String url() {
      return "https://127.0.0.1:" + haPort;
    }

    @Override
    String token() {
      return adminToken;
    }

    @Override
    List<String> apiServerUrls() {
      return List.of("https://127.0.0.1:" + apiPort[0], "https://127.0.0.1:" + apiPort[1]);
    }

    /** SIGKILLs kube-apiserver {@code i}. */
    synchronized void killApiServer(int i) {
      Process p = api[i];
      if (p != null) {
        p.destroyForcibly();
        api[i] = null;
      }
    }

    /** Starts kube-apiserver {@code i} again and waits until it is ready. */
    void restartApiServer(int i) {
      startApiServer(i);
    }

    /** {@return the etcd member index of the current leader} */
    int etcdLeader() {
      String out = etcdctl("--endpoints=" + etcdEndpoints(), "endpoint", "status", "-w", "json");
      // [{"Endpoint":"http://..","Status":{"header":{"member_id":N,..},"leader":M,...}},...]
      Matcher m =
          Pattern.compile(
                  "\"Endpoint\":\"http://127\\.0\\.0\\.1:(\\d+)\".*?\"member_id\":(\\d+).*?\"leader\":(\\d+)")
              .matcher(out);
      Map<String, Integer> byMember = new HashMap<>();
      String leader = "";
      while (m.find()) {
        int port = Integer.parseInt(m.group(1));
        for (int i = 0; i < 3; i++) {
          if (etcdClient[i] == port) {
            byMember.put(m.group(2), i);
          }
        }
        leader = m.group(3);
      }
      Integer idx = byMember.get(leader);
      if (idx == null) {
        throw new IllegalStateException("cannot find the etcd leader in: " + out);
      }
      return idx;
    }

    /** Moves the etcd leadership to another member with {@code etcdctl move-leader}. */
    String moveEtcdLeader() {
      String out = etcdctl("--endpoints=" + etcdEndpoints(), "endpoint", "status", "-w", "json");
      int leader = etcdLeader();
      Matcher m =
          Pattern.compile("\"Endpoint\":\"http://127\\.0\\.0\\.1:(\\d+)\".*?\"member_id\":(\\d+)")
              .matcher(out);
      String target = "";
      while (m.find()) {
        if (Integer.parseInt(m.group(1)) != etcdClient[leader]) {
          target = Long.toHexString(Long.parseUnsignedLong(m.group(2)));
          break;
        }
      }
      return etcdctl("--endpoints=http://127.0.0.1:" + etcdClient[leader], "move-leader", target);
    }

    /** Stops (SIGTERM) etcd member {@code i}. */
    synchronized void stopEtcd(int i) {
      Process p = etcd[i];
      if (p != null) {
        p.destroy();
        try {
          p.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        etcd[i] = null;
      }
    }

    /** Starts etcd member {@code i} again from its data and waits until it is healthy. */
    void restartEtcd(int i) {
      startEtcd(i, false);
      waitHttp("http://127.0.0.1:" + etcdClient[i] + "/health", null);
    }

    private String etcdctl(String... args) {
      List<String> cmd = new ArrayList<>();
      cmd.add(bins.get("ETCDCTL"));
      cmd.addAll(List.of(args));
      try {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.replace("\n", " ").trim();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private synchronized void killAll() {
      Process h = haproxy;
      if (h != null) {
        h.destroyForcibly();
      }
      for (Process p : api) {
        if (p != null) {
          p.destroyForcibly();
        }
      }
      for (Process p : etcd) {
        if (p != null) {
          p.destroyForcibly();
        }
      }
    }

    @Override
    public synchronized void close() {
      super.close();
      killAll();
    }
  }
}
