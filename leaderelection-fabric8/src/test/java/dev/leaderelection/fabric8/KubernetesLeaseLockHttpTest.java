package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP behaviour of {@link KubernetesLeaseLock} against a scripted HTTP server: that every call
 * is made exactly once (fabric8's own retries are off), that answers the real API server rarely
 * gives (429, 5xx, garbage) map to the right reasons, and what goes on the wire. The real API
 * server is used by the integration tests.
 */
class KubernetesLeaseLockHttpTest {
  private static final Duration T = Duration.ofSeconds(5);

  private HttpServer server;
  private KubernetesClient client;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private volatile Handler handler = ex -> respond(ex, 500, "{}");

  @FunctionalInterface
  interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/",
        ex -> {
          requests.incrementAndGet();
          bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          try {
            handler.handle(ex);
          } finally {
            ex.close();
          }
        });
    server.start();
    client = clientFor("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private static KubernetesClient clientFor(String url) {
    // Default retry settings on purpose: the lock must switch them off for its own requests.
    Config config =
        new ConfigBuilder(Config.empty()).withMasterUrl(url).withNamespace("cfg-ns").build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(0);
  }

  private static void respond(HttpExchange ex, int code, String body) throws IOException {
    respond(ex, code, body, Map.of());
  }

  private static void respond(HttpExchange ex, int code, String body, Map<String, String> headers)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }

  private KubernetesLeaseLock lock() {
    return KubernetesLeaseLock.builder(client)
        .name("my-lease")
        .namespace("ns")
        .identity("me")
        .build();
  }

  private static <T> LeaseLockException failure(CompletionStage<T> stage) {
    try {
      stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(LeaseLockException.class);
      return (LeaseLockException) java.util.Objects.requireNonNull(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  private static <T> T value(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static String lease(String rv, String spec) {
    return "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"
        + "\"my-lease\",\"namespace\":\"ns\",\"resourceVersion\":\""
        + rv
        + "\",\"labels\":{\"app\":\"demo\"}},\"spec\":"
        + spec
        + "}";
  }

  @Test
  void locksOfOneClientShareOneNoRetryHttpClientAndSoItsConnections() {
    KubernetesLeaseLock a = lock();
    KubernetesLeaseLock b =
        KubernetesLeaseLock.builder(client).name("other").namespace("ns").build();
    assertThat(a.calls().http).isSameAs(b.calls().http).isNotSameAs(client.getHttpClient());
    try (KubernetesClient other = clientFor("http://127.0.0.1:1")) {
      KubernetesLeaseLock c = KubernetesLeaseLock.builder(other).name("x").namespace("ns").build();
      assertThat(c.calls().http).isNotSameAs(a.calls().http);
    }
  }

  @Test
  void serverErrorsAreReportedAfterExactlyOneRequest() {
    handler = ex -> respond(ex, 503, "{\"kind\":\"Status\",\"message\":\"etcd is sad\"}");
    LeaseLockException e = failure(lock().get(T));
    assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
    assertThat(e.getMessage()).contains("HTTP 503").contains("etcd is sad");
    assertThat(requests).hasValue(1);
  }

  @Test
  void throttlingIsReportedAfterOneRequestWithRetryAfter() {
    handler =
        ex ->
            respond(
                ex,
                429,
                "{\"kind\":\"Status\",\"message\":\"too many requests\",\"code\":429}",
                Map.of("Retry-After", "7"));
    LeaseLockException e = failure(lock().update(LeaseRecord.empty().withVersion("1"), T));
    assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
    assertThat(requests).hasValue(1);
  }

  @Test
  void conflictIsNeverRetried() {
    handler = ex -> respond(ex, 409, "{\"kind\":\"Status\",\"reason\":\"Conflict\"}");
    assertThat(failure(lock().update(LeaseRecord.empty().withVersion("1"), T)).reason())
        .isEqualTo(Reason.CONFLICT);
    assertThat(failure(lock().create(LeaseRecord.empty(), T)).reason()).isEqualTo(Reason.CONFLICT);
    assertThat(requests).hasValue(2);
  }

  @Test
  void aConnectionDroppedWithoutAnswerIsUnavailableAfterOneAttempt() throws Exception {
    AtomicInteger accepted = new AtomicInteger();
    try (ServerSocket dropper = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                while (!dropper.isClosed()) {
                  try (Socket s = dropper.accept()) {
                    accepted.incrementAndGet();
                    s.setSoLinger(true, 0);
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      try (KubernetesClient c = clientFor("http://127.0.0.1:" + dropper.getLocalPort())) {
        KubernetesLeaseLock l =
            KubernetesLeaseLock.builder(c).name("my-lease").namespace("ns").build();
        LeaseLockException e = failure(l.get(T));
        assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
        assertThat(e.getMessage()).contains("http://127.0.0.1:" + dropper.getLocalPort());
        Thread.sleep(500); // a hidden retry would come after ~100 ms
        assertThat(accepted).hasValue(1);
      }
    }
  }

  @Test
  void refusedConnectionIsUnavailableAndNamesTheUrl() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (KubernetesClient c = clientFor("http://127.0.0.1:" + port)) {
      KubernetesLeaseLock l =
          KubernetesLeaseLock.builder(c).name("my-lease").namespace("ns").build();
      long t0 = System.nanoTime();
      LeaseLockException e = failure(l.get(T));
      assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
      assertThat(e.getMessage())
          .contains("cannot reach the API server at http://127.0.0.1:" + port);
      // fabric8's default back-off would retry 10 times over several seconds
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void aSlowServerTimesOutWithinTheGivenTime() {
    handler =
        ex -> {
          try {
            Thread.sleep(3_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(ex, 200, lease("1", "{}"));
        };
    long t0 = System.nanoTime();
    LeaseLockException e = failure(lock().get(Duration.ofMillis(300)));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
    assertThat(e.getMessage()).contains("300 ms");
    assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofMillis(1500));
  }

  @Test
  void zeroTimeFailsAtOnceWithoutARequest() {
    assertThat(failure(lock().get(Duration.ZERO)).reason()).isEqualTo(Reason.TIMEOUT);
    assertThat(requests).hasValue(0);
  }

  @Test
  void anAnswerThatIsNotALeaseIsInvalid() {
    handler = ex -> respond(ex, 200, "<html>proxy login</html>");
    assertThat(failure(lock().get(T)).reason()).isEqualTo(Reason.INVALID);
    handler = ex -> respond(ex, 200, "{\"kind\":\"Lease\",\"spec\":{}}");
    assertThat(failure(lock().get(T)).reason()).isEqualTo(Reason.INVALID);
  }

  @Test
  void oddButValidFieldsReadAsTheyAreAndAnAnswerNoApiServerGivesIsInvalid() throws Exception {
    handler =
        ex ->
            respond(
                ex,
                200,
                lease(
                    "7", "{\"holderIdentity\":\"x\",\"renewTime\":null,\"leaseTransitions\":-2}"));
    assertThat(value(lock().get(T)))
        .contains(new LeaseRecord("x", null, null, null, -2, null, null, "7"));
    // The API server validates Leases and writes times canonically; a body that breaks the schema
    // comes from something else and must not be taken for a Lease (nor for an empty one).
    handler =
        ex ->
            respond(
                ex, 200, lease("7", "{\"holderIdentity\":\"x\",\"acquireTime\":\"yesterday\"}"));
    LeaseLockException e = failure(lock().get(T));
    assertThat(e.reason()).isEqualTo(Reason.INVALID);
    assertThat(e.getMessage()).contains("with a body that is not a Lease").contains("127.0.0.1");
  }

  @Test
  void notFoundGetIsEmpty() throws Exception {
    handler = ex -> respond(ex, 404, "{\"kind\":\"Status\",\"code\":404}");
    assertThat(value(lock().get(T))).isEmpty();
  }

  @Test
  void updateSendsCompareAndSwapWithClientGoFormatsAndKeepsLabels() throws Exception {
    handler =
        ex -> {
          if (ex.getRequestMethod().equals("GET")) {
            respond(ex, 200, lease("10", "{\"holderIdentity\":\"old\",\"futureField\":1}"));
          } else {
            respond(ex, 200, lease("11", "{}"));
          }
        };
    KubernetesLeaseLock l = lock();
    LeaseRecord read = value(l.get(T)).orElseThrow();
    Instant now = Instant.parse("2026-11-22T02:22:55.123456789Z");
    LeaseRecord mine = new LeaseRecord("me", 15, now, now, 1, null, null, read.version());
    value(l.update(mine, T));
    String put = bodies.get(1);
    assertThat(put)
        .contains("\"resourceVersion\":\"10\"")
        .contains("\"labels\":{\"app\":\"demo\"}")
        .contains("\"holderIdentity\":\"me\"")
        .contains("\"leaseDurationSeconds\":15")
        .contains("\"acquireTime\":\"2026-11-22T02:22:55.123456Z\"")
        .contains("\"renewTime\":\"2026-11-22T02:22:55.123456Z\"")
        .contains("\"leaseTransitions\":1")
        .contains("\"futureField\":1")
        .doesNotContain("strategy")
        .doesNotContain("preferredHolder");
  }

  @Test
  void updateWithoutVersionIsRefusedWithoutARequest() {
    assertThat(failure(lock().update(LeaseRecord.empty(), T)).reason()).isEqualTo(Reason.INVALID);
    assertThat(requests).hasValue(0);
  }

  @Test
  void namespaceDefaultsToThePodsOwnThenTheClients(@TempDir Path tmp) throws IOException {
    Path file = tmp.resolve("namespace");
    Files.writeString(file, "pod-ns\n");
    assertThat(
            KubernetesLeaseLock.builder(client).name("x").namespaceFile(file).build().namespace())
        .isEqualTo("pod-ns");
    assertThat(
            KubernetesLeaseLock.builder(client)
                .name("x")
                .namespaceFile(tmp.resolve("absent"))
                .build()
                .namespace())
        .isEqualTo("cfg-ns");
    assertThat(
            KubernetesLeaseLock.builder(client)
                .name("x")
                .namespace("given")
                .namespaceFile(file)
                .build()
                .namespace())
        .isEqualTo("given");
  }

  @Test
  void noNamespaceAnywhereIsAnErrorNotDefault(@TempDir Path tmp) {
    try (KubernetesClient c =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:1").build())
            .build()) {
      assertThatThrownBy(
              () ->
                  KubernetesLeaseLock.builder(c)
                      .name("x")
                      .namespaceFile(tmp.resolve("absent"))
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no namespace for Lease \"x\"")
          .hasMessageContaining(".namespace(");
    }
  }

  @Test
  void builderValidatesNamesAndDefaultsTheIdentity() {
    assertThatThrownBy(() -> KubernetesLeaseLock.builder(client).namespace("ns").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name is required");
    assertThatThrownBy(() -> KubernetesLeaseLock.builder(client).name("Bad_Name").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a valid Lease name");
    assertThatThrownBy(
            () -> KubernetesLeaseLock.builder(client).name("x").namespace("Bad.ns").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a valid namespace");
    assertThatThrownBy(() -> KubernetesLeaseLock.builder(client).name("x").identity("").build())
        .isInstanceOf(IllegalArgumentException.class);
    KubernetesLeaseLock l = KubernetesLeaseLock.builder(client).name("x.y-z").build();
    assertThat(l.identity()).matches(".+_[0-9a-f]{8}");
    assertThat(l.description()).isEqualTo("lease cfg-ns/x.y-z");
  }
}
