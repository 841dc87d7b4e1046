package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.testing.ManualScheduler;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The watch's own timing, driven by a manual scheduler against a scripted HTTP server: back-off
 * after a failure, a fresh list after {@code 410 Gone}, and a silent stream given up at its
 * deadline. Nothing here waits for time to pass; the test waits only for HTTP answers to arrive.
 */
class LeaseWatcherTest {
  private static final Pattern TIMEOUT_SECONDS = Pattern.compile("timeoutSeconds=(\\d+)");

  private HttpServer server;
  private KubernetesClient client;
  private final SharedManual scheduler = new SharedManual();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final CountDownLatch endOfTest = new CountDownLatch(1);
  private volatile Handler handler = ex -> respond(ex, 500, "{}");

  @FunctionalInterface
  interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  /** A manual scheduler that HTTP threads may schedule on while the test thread advances it. */
  static final class SharedManual implements Scheduler {
    private final ManualScheduler clock = new ManualScheduler();
    final List<Duration> delays = new CopyOnWriteArrayList<>();

    @Override
    public synchronized Cancellable schedule(Runnable task, Duration delay) {
      delays.add(delay);
      Cancellable c = clock.schedule(task, delay);
      return () -> {
        synchronized (SharedManual.this) {
          c.cancel();
        }
      };
    }

    synchronized void advance(Duration d) {
      clock.advance(d);
    }
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/",
        ex -> {
          requests.add(ex.getRequestURI().getQuery() == null ? "" : ex.getRequestURI().getQuery());
          try {
            handler.handle(ex);
          } finally {
            ex.close();
          }
        });
    server.start();
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
            .build();
    client = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterEach
  void stop() {
    endOfTest.countDown();
    client.close();
    server.stop(0);
  }

  private LeaseLock.Watch watch() {
    KubernetesLeaseLock lock =
        KubernetesLeaseLock.builder(client).name("my-lease").namespace("ns").identity("me").build();
    LeaseLock.Watch w =
        lock.watch(
            new LeaseLock.ChangeListener() {
              @Override
              public void leaseChanged(@Nullable LeaseRecord current) {
                events.add(current == null ? "deleted" : "changed:" + current.version());
              }

              @Override
              public void watchHealthChanged(boolean healthy) {
                events.add("delivering:" + healthy);
              }
            },
            scheduler);
    assertThat(w).isNotNull();
    return java.util.Objects.requireNonNull(w);
  }

  private static boolean isWatch(String query) {
    return query.contains("watch=true");
  }

  private static void respond(HttpExchange ex, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private static String list(String rv) {
    return "{\"kind\":\"LeaseList\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":"
        + "{\"resourceVersion\":\""
        + rv
        + "\"},\"items\":[{\"metadata\":{\"name\":\"my-lease\","
        + "\"namespace\":\"ns\",\"resourceVersion\":\""
        + rv
        + "\"},\"spec\":{\"holderIdentity\":"
        + "\"other\"}}]}";
  }

  /** Opens a watch stream and keeps it open, silent, until the test ends. */
  private void silentStream(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, 0);
    ex.getResponseBody().flush();
    try {
      endOfTest.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** The delay of the last task scheduled that is shorter than {@code max}. */
  private Duration lastDelayBelow(Duration max) {
    for (int i = scheduler.delays.size() - 1; i >= 0; i--) {
      if (scheduler.delays.get(i).compareTo(max) < 0) {
        return scheduler.delays.get(i);
      }
    }
    throw new AssertionError("no delay below " + max + " in " + scheduler.delays);
  }

  @Test
  void aFailedListIsRetriedOnlyWhenTheSchedulersClockPassesTheBackoff() {
    LeaseLock.Watch w = watch();
    try {
      await("the first list", () -> requests.size() == 1);
      // The list's own timeout (10 s) is on the scheduler too; the back-off is 0.2-0.4 s.
      await("the back-off", () -> scheduler.delays.stream().anyMatch(d -> d.toMillis() < 1000));
      Duration backoff = lastDelayBelow(Duration.ofSeconds(1));
      assertThat(backoff).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
      scheduler.advance(backoff.minusMillis(1));
      assertThat(requests).hasSize(1);
      scheduler.advance(Duration.ofMillis(1));
      await("the second list", () -> requests.size() == 2);
      assertThat(requests).allMatch(q -> !isWatch(q) && q.contains("metadata.name=my-lease"));
      assertThat(events).doesNotContain("delivering:true");
    } finally {
      w.close();
    }
  }

  @Test
  void goneListsAgainAndTheRecordComesBeforeTheWatchCountsAsDelivering() {
    handler =
        ex -> {
          String q = ex.getRequestURI().getQuery();
          long watches = requests.stream().filter(LeaseWatcherTest::isWatch).count();
          if (!isWatch(q)) {
            respond(ex, 200, list(watches == 0 ? "5" : "9"));
          } else if (watches == 1) {
            respond(ex, 410, "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}");
          } else {
            silentStream(ex);
          }
        };
    LeaseLock.Watch w = watch();
    try {
      await("delivering", () -> events.contains("delivering:true"));
      assertThat(requests).hasSize(4);
      assertThat(requests.get(1)).contains("resourceVersion=5");
      assertThat(isWatch(requests.get(2))).as("410 Gone: a fresh list").isFalse();
      assertThat(requests.get(3)).contains("resourceVersion=9");
      assertThat(events).containsExactly("changed:5", "changed:9", "delivering:true");
    } finally {
      w.close();
    }
  }

  @Test
  void aSilentStreamIsDroppedWhenTheClockPassesTheTimeTheServerWasAskedToEndIt() {
    handler =
        ex -> {
          if (isWatch(ex.getRequestURI().getQuery())) {
            silentStream(ex);
          } else {
            respond(ex, 200, list("5"));
          }
        };
    LeaseLock.Watch w = watch();
    try {
      await("delivering", () -> events.contains("delivering:true"));
      Matcher m = TIMEOUT_SECONDS.matcher(requests.get(1));
      assertThat(m.find()).isTrue();
      Duration deadline =
          Duration.ofSeconds(Long.parseLong(m.group(1)))
              .plus(dev.leaderelection.core.kubernetes.LeaseWatchLoop.DEAD_STREAM_MARGIN);
      assertThat(scheduler.delays).contains(deadline);
      scheduler.advance(deadline.minusSeconds(1));
      assertThat(requests).hasSize(2);
      int scheduled = scheduler.delays.size();
      scheduler.advance(Duration.ofSeconds(1));
      // The stream is cancelled; the watch backs off once (it said nothing) and watches on.
      await("the back-off", () -> scheduler.delays.size() > scheduled);
      scheduler.advance(Duration.ofSeconds(5));
      await("a new watch", () -> requests.size() == 3);
      assertThat(requests.get(2)).contains("watch=true").contains("resourceVersion=5");
    } finally {
      w.close();
    }
  }
}
