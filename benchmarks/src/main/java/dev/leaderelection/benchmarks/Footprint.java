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
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Many electors in one JVM, each on its own Lease, against the real API server: platform threads,
 * heap, renew latency and spurious leadership losses. Prints one {@code RESULT {json}} line.
 */
final class Footprint {
  private Footprint() {}

  /** Renew latencies kept; the buffer ({@code long} each) is allocated before the heap baseline. */
  static final int MAX_SAMPLES = 2_000_000;

  static void main(Map<String, String> args) throws Exception {
    Impl impl = Impl.parse(args.getOrDefault("impl", "ours"));
    int n = Integer.parseInt(args.getOrDefault("n", "1"));
    int seconds = Integer.parseInt(args.getOrDefault("seconds", "60"));
    Profile profile = Profile.parse(args.getOrDefault("profile", "default"));
    String url = args.getOrDefault("url", "");
    String token = args.getOrDefault("token", "");
    boolean watch = Boolean.parseBoolean(args.getOrDefault("watch", "true"));
    String prefix =
        "fp-" + impl.id() + "-" + n + "-" + Long.toString(System.currentTimeMillis() % 1000000, 36);

    var threads = ManagementFactory.getThreadMXBean();
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(Config.empty())
                    .withMasterUrl(url)
                    .withOauthToken(token)
                    .withTrustCerts(true)
                    .withDisableHostnameVerification(true)
                    .build())
            .build();
    ApiClient api =
        new ClientBuilder()
            .setBasePath(url)
            .setVerifyingSsl(false)
            .setAuthentication(new AccessTokenAuthentication(token))
            .build();
    // warm the clients so their own threads count as baseline, not per elector
    client.leases().inNamespace(Harness.NS).list();
    new io.kubernetes.client.openapi.apis.CoordinationV1Api(api)
        .listNamespacedLease(Harness.NS)
        .execute();
    // the latency buffer (15 MiB) is the harness's, not the electors': allocate it before the
    // baseline
    AtomicLongArray samples = new AtomicLongArray(MAX_SAMPLES);
    long heap0 = heapAfterGc();
    int threads0 = threads.getThreadCount();
    Map<String, Integer> names0 = threadNames();

    AtomicInteger leading = new AtomicInteger();
    AtomicInteger spurious = new AtomicInteger();
    AtomicInteger started = new AtomicInteger();
    AtomicInteger nSamples = new AtomicInteger();
    List<AutoCloseable> electors = new ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean closing =
        new java.util.concurrent.atomic.AtomicBoolean();
    // what went wrong, for the report: every spurious loss, and failed calls by operation and
    // reason
    List<Map<String, Object>> losses = java.util.Collections.synchronizedList(new ArrayList<>());
    Map<String, Integer> failures = new java.util.concurrent.ConcurrentSkipListMap<>();
    long runStart = System.nanoTime();

    for (int i = 0; i < n; i++) {
      String lease = prefix + "-" + i;
      String id = "fp-" + i;
      switch (impl) {
        case OURS, OURS_CJ -> {
          KubernetesLock lock =
              impl == Impl.OURS_CJ
                  ? ClientJavaLeaseLock.builder(api)
                      .name(lease)
                      .namespace(Harness.NS)
                      .identity(id)
                      .watch(watch)
                      .build()
                  : KubernetesLeaseLock.builder(client)
                      .name(lease)
                      .namespace(Harness.NS)
                      .identity(id)
                      .watch(watch)
                      .build();
          LeaderElector le =
              LeaderElector.builder(lock)
                  .config(
                      LeaderElectionConfig.builder()
                          .leaseDuration(profile.lease())
                          .renewDeadline(profile.renew())
                          .retryPeriod(profile.retry())
                          .build())
                  .callbacks(
                      new LeaderCallbacks() {
                        @Override
                        public void onStartedLeading(Leadership leadership) {
                          leading.incrementAndGet();
                          started.incrementAndGet();
                        }

                        @Override
                        public void onStoppedLeading(Leadership leadership) {
                          leading.decrementAndGet();
                        }
                      })
                  .listener(
                      new LeaderElectionListener() {
                        @Override
                        public void onRenewed(Duration latency) {
                          int k = nSamples.getAndIncrement();
                          if (k < MAX_SAMPLES) {
                            samples.set(k, latency.toNanos());
                          }
                        }

                        @Override
                        public void onConflict(LeaderElectionListener.Operation operation) {
                          failures.merge(
                              operation.name().toLowerCase(Locale.ROOT) + " CONFLICT",
                              1,
                              Integer::sum);
                        }

                        @Override
                        public void onError(
                            LeaderElectionListener.Operation operation, Throwable error) {
                          String why =
                              error instanceof dev.leaderelection.core.LeaseLockException lle
                                  ? lle.reason().name()
                                  : error.getClass().getSimpleName();
                          failures.merge(
                              operation.name().toLowerCase(Locale.ROOT) + " " + why,
                              1,
                              Integer::sum);
                        }

                        @Override
                        public void onLeadershipEnded(
                            Leadership leadership, Leadership.EndReason reason) {
                          if (reason != Leadership.EndReason.CLOSED) {
                            spurious.incrementAndGet();
                            Map<String, Object> loss = new LinkedHashMap<>();
                            loss.put("elector", id);
                            loss.put("reason", reason.name());
                            loss.put("atSeconds", (System.nanoTime() - runStart) / 1e9);
                            loss.put(
                                "termSeconds",
                                (leadership.validUntilNanos() - leadership.validFromNanos()) / 1e9);
                            losses.add(loss);
                          }
                        }
                      })
                  .build();
          le.start();
          electors.add(le);
        }
        case FABRIC8 -> {
          var config =
              new LeaderElectionConfigBuilder()
                  .withName(lease)
                  .withLock(
                      new io.fabric8.kubernetes.client.extended.leaderelection.resourcelock
                          .LeaseLock(Harness.NS, lease, id))
                  .withLeaseDuration(profile.lease())
                  .withRenewDeadline(profile.renew())
                  .withRetryPeriod(profile.retry())
                  .withReleaseOnCancel(true)
                  .withLeaderCallbacks(
                      new io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks(
                          () -> {
                            leading.incrementAndGet();
                            started.incrementAndGet();
                          },
                          () -> {
                            leading.decrementAndGet();
                            if (!closing.get()) {
                              spurious.incrementAndGet();
                            }
                          },
                          x -> {}))
                  .build();
          CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
          electors.add(() -> f.cancel(true));
        }
        case OFFICIAL -> {
          var le =
              new io.kubernetes.client.extended.leaderelection.LeaderElector(
                  new io.kubernetes.client.extended.leaderelection.LeaderElectionConfig(
                      new io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock(
                          Harness.NS, lease, id, api),
                      profile.lease(),
                      profile.renew(),
                      profile.retry()));
          Thread t =
              new Thread(
                  () ->
                      le.run(
                          () -> {
                            leading.incrementAndGet();
                            started.incrementAndGet();
                          },
                          () -> {
                            leading.decrementAndGet();
                            if (!closing.get()) {
                              spurious.incrementAndGet();
                            }
                          }),
                  "official-run-" + i);
          t.setDaemon(true);
          t.start();
          electors.add(
              () -> {
                le.close();
                t.interrupt();
              });
        }
      }
    }
    long t0 = System.nanoTime();
    while (started.get() < n && System.nanoTime() - t0 < 120_000_000_000L) {
      Thread.sleep(200);
    }
    double acquireAllSeconds = (System.nanoTime() - t0) / 1e9;
    Thread.sleep(10_000);
    int threadsAfter = threads.getThreadCount();
    Map<String, Integer> namesAfter = threadNames();
    long heapAfter = heapAfterGc();
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long window0 = System.nanoTime();
    int maxThreads = threadsAfter;
    int minLeading = leading.get();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      Thread.sleep(2_000);
      maxThreads = Math.max(maxThreads, threads.getThreadCount());
      minLeading = Math.min(minLeading, leading.get());
    }
    double cpuCores = (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - window0);
    long heapEnd = heapAfterGc();
    closing.set(true);
    int spuriousLosses = spurious.get();
    int leadingAtEnd = leading.get();
    int k = Math.min(nSamples.get(), MAX_SAMPLES);
    List<Double> lat = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      lat.add(samples.get(i) / 1e6);
    }
    Stats s = Stats.of(lat);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("impl", impl.id());
    r.put("electors", n);
    r.put("profile", profile.name());
    r.put("seconds", seconds);
    r.put("acquiredAll", started.get() >= n);
    r.put("acquireAllSeconds", acquireAllSeconds);
    r.put("threadsBaseline", threads0);
    r.put("threadsWithElectors", threadsAfter);
    r.put("threadsMax", maxThreads);
    r.put("threadsAdded", threadsAfter - threads0);
    r.put("threadsAddedByName", added(names0, namesAfter));
    r.put("heapBaselineMiB", heap0 / 1048576.0);
    r.put("heapWithElectorsMiB", heapAfter / 1048576.0);
    r.put("heapAtEndMiB", heapEnd / 1048576.0);
    r.put("heapPerElectorKiB", n == 0 ? 0.0 : (heapAfter - heap0) / 1024.0 / n);
    r.put("baselineHoldsSamples", true);
    r.put("leadingMin", minLeading);
    r.put("leadingAtEnd", leadingAtEnd);
    r.put("spuriousLosses", spuriousLosses);
    r.put("renewSamples", s.n());
    r.put("renewP50Ms", s.p50());
    r.put("renewP99Ms", s.p99());
    r.put("renewMaxMs", s.max());
    r.put("watch", watch);
    r.put("cpuCores", cpuCores);
    r.put("failedCalls", new LinkedHashMap<>(failures));
    r.put("losses", new ArrayList<>(losses));
    System.out.println("RESULT " + Json.write(r).replace("\n", " "));
    System.out.flush();
    // Closing a thousand electors of another library may hang: the result is out, give it 30 s.
    Thread halt =
        new Thread(
            () -> {
              try {
                Thread.sleep(30_000);
              } catch (InterruptedException e) {
                return;
              }
              Runtime.getRuntime().halt(0);
            },
            "footprint-halt");
    halt.setDaemon(true);
    halt.start();
    for (AutoCloseable c : electors) {
      if (c instanceof LeaderElector le) {
        var unused = le.closeAsync();
      } else {
        c.close();
      }
    }
    Thread.sleep(3_000);
    System.exit(0);
  }

  /** Live platform threads by name, with digits replaced by {@code N}, counted. */
  static Map<String, Integer> threadNames() {
    Map<String, Integer> m = new java.util.TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      m.merge(t.getName().replaceAll("[0-9]+", "N"), 1, Integer::sum);
    }
    return m;
  }

  /** {@return for each name, how many more threads {@code after} has than {@code before}} */
  static Map<String, Object> added(Map<String, Integer> before, Map<String, Integer> after) {
    Map<String, Object> m = new LinkedHashMap<>();
    java.util.Set<String> all = new java.util.TreeSet<>(before.keySet());
    all.addAll(after.keySet());
    for (String name : all) {
      int d = after.getOrDefault(name, 0) - before.getOrDefault(name, 0);
      if (d != 0) {
        m.put(name, d);
      }
    }
    return m;
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
