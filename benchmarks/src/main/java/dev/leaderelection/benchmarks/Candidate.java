package dev.leaderelection.benchmarks;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.kubernetes.KubernetesLock;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One candidate process (one JVM per candidate). It runs one of the electors ({@link Impl}) against
 * a Lease on the API server given on the command line (in the benchmark, through its own {@code
 * TcpRelay}) and prints, on stdout, one line per event with the shared monotonic clock ({@link
 * System#nanoTime()}, {@code CLOCK_MONOTONIC} on Linux):
 *
 * <pre>
 * HELLO  t pid
 * STARTED t lease          the elector was started
 * CB_START t lease         the application's start callback ran
 * CB_STOP t lease          the application's stop callback ran
 * ACQ t lease validFrom    this library: a term began (listener)
 * END t lease validFrom validUntil reason   this library: a term ended, with its final window
 * CLOSING t lease          close was requested
 * CLOSED t lease           close returned
 * </pre>
 *
 * <p>Commands on stdin: {@code start LEASE}, {@code close}, {@code exit}. One elector at a time. An
 * elector that stops leading by itself (not closed) is replaced by a new one on the same Lease, as
 * a restarted pod would (this library rejoins on its own: {@code rejoinAfterLoss}).
 */
public final class Candidate {

  private static final PrintStream OUT =
      new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, UTF8());

  private final Impl impl;
  private final String url;
  private final String token;
  private final String namespace;
  private final String identity;
  private final Profile profile;
  private @Nullable KubernetesClient fabric8Client;
  private @Nullable ApiClient officialClient;
  private @Nullable Running running;
  private String lastLease = "-";

  private static java.nio.charset.Charset UTF8() {
    return StandardCharsets.UTF_8;
  }

  Candidate(Map<String, String> args) {
    this.impl = Impl.parse(req(args, "impl"));
    this.url = req(args, "url");
    this.token = req(args, "token");
    this.namespace = args.getOrDefault("namespace", "default");
    this.identity = req(args, "identity");
    this.profile = Profile.parse(args.getOrDefault("profile", "fast"));
  }

  private static String req(Map<String, String> args, String key) {
    String v = args.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + key);
    }
    return v;
  }

  static void emit(String kind, String lease, Object... extra) {
    StringBuilder sb = new StringBuilder(64);
    sb.append(kind).append(' ').append(System.nanoTime()).append(' ').append(lease);
    for (Object o : extra) {
      sb.append(' ').append(o);
    }
    synchronized (OUT) {
      OUT.println(sb);
    }
  }

  /**
   * Runs a candidate.
   *
   * @param args {@code --impl --url --token --identity [--namespace] [--profile]}
   * @throws IOException if stdin fails
   */
  public static void main(Map<String, String> args) throws IOException {
    Candidate c = new Candidate(args);
    c.connect();
    emit("HELLO", "-", ProcessHandle.current().pid());
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] w = line.trim().split("\\s+", -1);
      switch (w[0]) {
        case "start" -> c.start(w[1]);
        case "close" -> c.close();
        case "exit" -> {
          c.close();
          System.exit(0);
        }
        default -> emit("ERR", "-", "unknown-command", w[0]);
      }
    }
    c.close();
    System.exit(0);
  }

  private void connect() {
    switch (impl) {
      case OURS, FABRIC8 -> {
        Config cfg =
            new ConfigBuilder(Config.empty())
                .withMasterUrl(url)
                .withOauthToken(token)
                .withTrustCerts(true)
                .withDisableHostnameVerification(true)
                .build();
        fabric8Client = new KubernetesClientBuilder().withConfig(cfg).build();
      }
      case OURS_CJ, OFFICIAL -> {
        // the same ApiClient for this library's client-java backend as for the official elector
        officialClient =
            new ClientBuilder()
                .setBasePath(url)
                .setVerifyingSsl(false)
                .setAuthentication(new AccessTokenAuthentication(token))
                .build();
      }
    }
  }

  private void start(String lease) {
    close();
    Running r =
        switch (impl) {
          case OURS, OURS_CJ -> new Ours(lease);
          case FABRIC8 -> new Fabric8(lease);
          case OFFICIAL -> new Official(lease);
        };
    running = r;
    lastLease = lease;
    emit("STARTED", lease);
    r.start();
  }

  private void close() {
    Running r = running;
    running = null;
    if (r != null) {
      emit("CLOSING", r.lease());
      r.close();
      emit("CLOSED", r.lease());
    } else {
      emit("CLOSED", lastLease); // nothing to close: acknowledge anyway
    }
  }

  private interface Running {
    String lease();

    void start();

    void close();
  }

  /** This library, over fabric8 ({@code ours}) or over client-java ({@code ours-cj}). */
  private final class Ours implements Running {
    private final String lease;
    private final LeaderElector elector;

    Ours(String lease) {
      this.lease = lease;
      KubernetesLock lock =
          impl == Impl.OURS_CJ
              ? ClientJavaLeaseLock.builder(java.util.Objects.requireNonNull(officialClient))
                  .name(lease)
                  .namespace(namespace)
                  .identity(identity)
                  .build()
              : KubernetesLeaseLock.builder(java.util.Objects.requireNonNull(fabric8Client))
                  .name(lease)
                  .namespace(namespace)
                  .identity(identity)
                  .build();
      LeaderElectionConfig config =
          LeaderElectionConfig.builder()
              .leaseDuration(profile.lease())
              .renewDeadline(profile.renew())
              .retryPeriod(profile.retry())
              .releaseOnClose(true)
              .rejoinAfterLoss(true)
              .build();
      this.elector =
          LeaderElector.builder(lock)
              .config(config)
              .callbacks(
                  new LeaderCallbacks() {
                    @Override
                    public void onStartedLeading(Leadership leadership) {
                      emit("CB_START", lease, leadership.fencingToken());
                    }

                    @Override
                    public void onStoppedLeading(Leadership leadership) {
                      emit("CB_STOP", lease);
                    }
                  })
              .listener(
                  new LeaderElectionListener() {
                    @Override
                    public void onLeadershipAcquired(Leadership leadership) {
                      emit("ACQ", lease, leadership.validFromNanos());
                    }

                    @Override
                    public void onLeadershipEnded(
                        Leadership leadership, Leadership.EndReason reason) {
                      emit(
                          "END",
                          lease,
                          leadership.validFromNanos(),
                          leadership.validUntilNanos(),
                          reason);
                    }
                  })
              .build();
    }

    @Override
    public String lease() {
      return lease;
    }

    @Override
    public void start() {
      elector.start();
    }

    @Override
    public void close() {
      elector.close();
    }
  }

  /** fabric8's elector; a new one replaces it if it stops by itself (they are single-use). */
  private final class Fabric8 implements Running {
    private final String lease;
    private volatile boolean closing;
    private volatile CompletableFuture<?> future = CompletableFuture.completedFuture(null);

    Fabric8(String lease) {
      this.lease = lease;
    }

    @Override
    public String lease() {
      return lease;
    }

    @Override
    public void start() {
      KubernetesClient client = java.util.Objects.requireNonNull(fabric8Client);
      var config =
          new LeaderElectionConfigBuilder()
              .withName(lease)
              .withLock(
                  new io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock(
                      namespace, lease, identity))
              .withLeaseDuration(profile.lease())
              .withRenewDeadline(profile.renew())
              .withRetryPeriod(profile.retry())
              .withReleaseOnCancel(true)
              .withLeaderCallbacks(
                  new io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks(
                      () -> emit("CB_START", lease), () -> emit("CB_STOP", lease), id -> {}))
              .build();
      CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
      future = f;
      var unused =
          f.whenComplete(
              (v, e) -> {
                if (!closing) {
                  emit("REJOIN", lease);
                  var unused2 =
                      CompletableFuture.runAsync(
                          this::start,
                          CompletableFuture.delayedExecutor(
                              profile.retrySeconds(), TimeUnit.SECONDS));
                }
              });
    }

    @Override
    public void close() {
      closing = true;
      future.cancel(true);
    }
  }

  /** The official client's elector, whose {@code run} blocks: one thread per elector. */
  private final class Official implements Running {
    private final String lease;
    private final Thread thread;
    private volatile boolean closing;
    private volatile io.kubernetes.client.extended.leaderelection.@Nullable LeaderElector current;

    Official(String lease) {
      this.lease = lease;
      this.thread = new Thread(this::loop, "official-elector-" + lease);
      thread.setDaemon(true);
    }

    @Override
    public String lease() {
      return lease;
    }

    @Override
    public void start() {
      thread.start();
    }

    private void loop() {
      ApiClient api = java.util.Objects.requireNonNull(officialClient);
      while (!closing) {
        var config =
            new io.kubernetes.client.extended.leaderelection.LeaderElectionConfig(
                new io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock(
                    namespace, lease, identity, api),
                profile.lease(),
                profile.renew(),
                profile.retry());
        var le = new io.kubernetes.client.extended.leaderelection.LeaderElector(config);
        current = le;
        if (closing) {
          return;
        }
        le.run(() -> emit("CB_START", lease), () -> emit("CB_STOP", lease));
        if (closing) {
          return;
        }
        emit("REJOIN", lease);
        le.close();
        try {
          Thread.sleep(profile.retrySeconds() * 1000L);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    @Override
    public void close() {
      closing = true;
      var le = current;
      if (le != null) {
        le.close(); // releases the Lease if this candidate holds it
      }
      // run() does not return on close() while it is still acquiring; interrupt it as a user would.
      thread.interrupt();
      try {
        thread.join(TimeUnit.SECONDS.toMillis(2L * profile.renewSeconds()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
