package dev.leaderelection.clientjava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import io.kubernetes.client.openapi.ApiClient;
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
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP behaviour of {@link ClientJavaLeaseLock} against a scripted HTTP server: every call is
 * made exactly once (OkHttp's retry on connection failure is off), answers the real API server
 * rarely gives (429, 5xx, garbage) map to the right reasons, what goes on the wire, and the watch's
 * re-list after {@code 410 Gone}. The real API server is used by the integration tests.
 */
class ClientJavaLeaseLockHttpTest {
  private static final Duration T = Duration.ofSeconds(5);

  private HttpServer server;
  private ApiClient api;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final List<String> queries = new CopyOnWriteArrayList<>();
  private final List<@Nullable String> authorizations = new CopyOnWriteArrayList<>();
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
          queries.add(String.valueOf(ex.getRequestURI().getRawQuery()));
          authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
          try {
            handler.handle(ex);
          } finally {
            ex.close();
          }
        });
    server.start();
    api = ClientJavaIt.apiClient("http://127.0.0.1:" + server.getAddress().getPort(), "t0ken");
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static void respond(HttpExchange ex, int code, String body) throws IOException {
    respond(ex, code, body, Map.of());
  }

  private static void respond(HttpExchange ex, int code, String body, Map<String, String> headers)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }

  private ClientJavaLeaseLock lock() {
    return ClientJavaLeaseLock.builder(api).name("my-lease").namespace("ns").identity("me").build();
  }

  private static LeaseLockException failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(LeaseLockException.class);
      return (LeaseLockException) java.util.Objects.requireNonNull(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected the call to fail");
  }

  private static <V> V await(CompletionStage<V> stage) {
    return ClientJavaIt.await(stage);
  }

  private static String lease(String rv, String spec, String extraMetadata) {
    return "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"
        + "\"my-lease\",\"namespace\":\"ns\",\"uid\":\"uid-1\",\"resourceVersion\":\""
        + rv
        + "\""
        + extraMetadata
        + "},\"spec\":"
        + spec
        + "}";
  }

  @Test
  void everyRequestCarriesTheApiClientsCredentials() {
    handler = ex -> respond(ex, 404, "{}");
    assertThat(await(lock().get(T))).isEmpty();
    assertThat(authorizations).containsExactly("Bearer t0ken");
  }

  @Test
  void theLocksConnectionsSendWithoutNaglesDelay() throws Exception {
    // A request in two segments (HTTP/2 HEADERS, then DATA) waits ~40 ms for a delayed ACK with
    // Nagle's algorithm on, which OkHttp leaves on.
    List<java.net.Socket> sockets = new CopyOnWriteArrayList<>();
    javax.net.SocketFactory recording =
        new javax.net.SocketFactory() {
          @Override
          public java.net.Socket createSocket() {
            java.net.Socket s = new java.net.Socket();
            sockets.add(s);
            return s;
          }

          @Override
          public java.net.Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException();
          }

          @Override
          public java.net.Socket createSocket(
              String host, int port, InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException();
          }

          @Override
          public java.net.Socket createSocket(InetAddress host, int port) {
            throw new UnsupportedOperationException();
          }

          @Override
          public java.net.Socket createSocket(
              InetAddress address, int port, InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException();
          }
        };
    api.setHttpClient(api.getHttpClient().newBuilder().socketFactory(recording).build());
    handler = ex -> respond(ex, 404, "{}");
    assertThat(await(lock().get(T))).isEmpty();
    assertThat(sockets).isNotEmpty().allSatisfy(s -> assertThat(s.getTcpNoDelay()).isTrue());
  }

  @Test
  void serverErrorsAreReportedAfterExactlyOneRequest() {
    handler = ex -> respond(ex, 503, "{\"kind\":\"Status\",\"message\":\"etcd is down\"}");
    LeaseLockException e = failure(lock().get(T));
    assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
    assertThat(e.getMessage()).contains("HTTP 503").contains("etcd is down");
    assertThat(requests).hasValue(1);
  }

  @Test
  void throttlingIsReportedAfterOneRequestWithRetryAfter() {
    handler = ex -> respond(ex, 429, "{\"kind\":\"Status\"}", Map.of("Retry-After", "7"));
    LeaseLockException e = failure(lock().get(T));
    assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
    assertThat(requests).hasValue(1);
  }

  @Test
  void conflictIsNeverRetried() {
    handler = ex -> respond(ex, 409, "{\"kind\":\"Status\",\"message\":\"changed\"}");
    LeaseRecord r = new LeaseRecord("me", 15, Instant.now(), Instant.now(), 0, null, null, "7");
    assertThat(failure(lock().update(r, T)).reason()).isEqualTo(Reason.CONFLICT);
    assertThat(requests).hasValue(1);
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
                    s.getInputStream().read(new byte[1024]); // the request, then no answer
                    s.setSoLinger(true, 0);
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      ApiClient c = ClientJavaIt.apiClient("http://127.0.0.1:" + dropper.getLocalPort(), "x");
      ClientJavaLeaseLock l =
          ClientJavaLeaseLock.builder(c).name("my-lease").namespace("ns").build();
      LeaseLockException e = failure(l.get(T));
      assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
      assertThat(e.getMessage()).contains("http://127.0.0.1:" + dropper.getLocalPort());
      Thread.sleep(500); // OkHttp's own retry would come at once
      assertThat(accepted).hasValue(1);
    }
  }

  @Test
  void aRequestLostOnAPooledConnectionIsNotSentAgain() throws Exception {
    // OkHttp re-sends a request whose pooled connection turns out dead, unless
    // retryOnConnectionFailure is off; a re-sent PUT the server had applied would come back as a
    // conflict with the lock's own write.
    AtomicInteger received = new AtomicInteger();
    try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                while (!raw.isClosed()) {
                  try {
                    Socket s = raw.accept();
                    Thread c = new Thread(() -> serveOnceThenDrop(s, received));
                    c.setDaemon(true);
                    c.start();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      ApiClient c = ClientJavaIt.apiClient("http://127.0.0.1:" + raw.getLocalPort(), "x");
      ClientJavaLeaseLock l =
          ClientJavaLeaseLock.builder(c).name("my-lease").namespace("ns").build();
      assertThat(await(l.get(T))).as("first answer, connection kept").isEmpty();
      LeaseLockException e = failure(l.get(T));
      assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
      Thread.sleep(500); // OkHttp's own retry would come at once
      assertThat(received).as("requests the server received").hasValue(2);
    }
  }

  /** Answers the first request on {@code s} with 404 (keep-alive), then drops it at the next. */
  private static void serveOnceThenDrop(Socket s, AtomicInteger received) {
    try (s) {
      var in =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      boolean answered = false;
      while (true) {
        String line = in.readLine();
        if (line == null) {
          return;
        }
        if (!line.isEmpty()) {
          continue; // request line and headers (GETs have no body)
        }
        if (received.incrementAndGet() == 1 && !answered) {
          answered = true;
          s.getOutputStream()
              .write(
                  ("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                          + "Content-Length: 2\r\n\r\n{}")
                      .getBytes(StandardCharsets.UTF_8));
          s.getOutputStream().flush();
        } else {
          s.setSoLinger(true, 0);
          return;
        }
      }
    } catch (IOException e) {
      // dropped
    }
  }

  @Test
  void theCallsOfOneApiClientHoldAtMostSixteenThreadsWhateverTheNumberOfLocks() throws Exception {
    java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
    handler =
        ex -> {
          try {
            answer.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(ex, 404, "{}");
        };
    List<java.util.concurrent.CompletableFuture<Optional<LeaseRecord>>> gets =
        new java.util.ArrayList<>();
    List<ClientJavaLeaseLock> locks = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      if (i == 20) {
        System.gc(); // the locks' shared calls must survive a collection (they did not, once)
      }
      ClientJavaLeaseLock l =
          ClientJavaLeaseLock.builder(api)
              .name("lease-" + i)
              .namespace("ns")
              .identity("me")
              .build();
      locks.add(l);
      gets.add(l.get(Duration.ofSeconds(20)).toCompletableFuture());
    }
    assertThat(locks)
        .allSatisfy(l -> assertThat(l.calls().http).isSameAs(locks.get(0).calls().http));
    ClientJavaIt.waitFor("16 calls in flight", Duration.ofSeconds(10), () -> requests.get() >= 16);
    Thread.sleep(300); // more would have arrived by now without the limit
    assertThat(requests).as("calls in flight at once").hasValue(OkHttpCalls.MAX_CALLS_IN_FLIGHT);
    answer.countDown();
    for (var g : gets) {
      assertThat(g.get(20, TimeUnit.SECONDS)).isEmpty();
    }
    assertThat(requests).hasValue(40);
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
          respond(ex, 200, lease("1", "{}", ""));
        };
    long t0 = System.nanoTime();
    LeaseLockException e = failure(lock().get(Duration.ofMillis(300)));
    assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
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
    handler = ex -> respond(ex, 200, lease("1", "{\"acquireTime\":\"yesterday\"}", ""));
    assertThat(failure(lock().get(T)).reason()).isEqualTo(Reason.INVALID);
    handler = ex -> respond(ex, 200, lease("1", "{\"leaseDurationSeconds\":\"15\"}", ""));
    assertThat(failure(lock().get(T)).reason()).isEqualTo(Reason.INVALID);
    handler = ex -> respond(ex, 200, "{\"kind\":\"Lease\",\"spec\":{}}");
    assertThat(failure(lock().get(T)).reason()).as("no resourceVersion").isEqualTo(Reason.INVALID);
  }

  @Test
  void oddButValidFieldsReadAsTheyAre() {
    handler =
        ex ->
            respond(
                ex,
                200,
                lease(
                    "9",
                    "{\"leaseDurationSeconds\":-5,\"leaseTransitions\":2147483647,"
                        + "\"holderIdentity\":\"\"}",
                    ""));
    LeaseRecord r = await(lock().get(T)).orElseThrow();
    assertThat(r.holderIdentity()).isEmpty();
    assertThat(r.isHeld()).isFalse();
    assertThat(r.leaseDurationSeconds()).isEqualTo(-5);
    assertThat(r.leaseTransitions()).isEqualTo(Integer.MAX_VALUE);
    assertThat(r.acquireTime()).isNull();
    assertThat(r.version()).isEqualTo("9");
  }

  @Test
  void aReadTellsItsAgeFromTheApiServersClockOnly() {
    // The JDK's HttpServer sets Date itself (now); the last write is 30 s before that by the
    // managedFields, while the holder's renewTime is decades old.
    String written =
        java.time.format.DateTimeFormatter.ISO_INSTANT.format(
            Instant.now().minusSeconds(30).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    handler =
        ex ->
            respond(
                ex,
                200,
                lease(
                    "3",
                    "{\"holderIdentity\":\"x\",\"renewTime\":\"2000-01-01T00:00:00.000000Z\"}",
                    ",\"managedFields\":[{\"manager\":\"a\",\"time\":\"2026-01-01T00:00:00Z\"},"
                        + "{\"manager\":\"b\",\"time\":\""
                        + written
                        + "\"}]"));
    Duration ago = await(lock().get(T)).orElseThrow().writtenAgo();
    assertThat(ago).isBetween(Duration.ofSeconds(27), Duration.ofSeconds(31));
  }

  @Test
  void updateSendsCompareAndSwapWithClientGoFormatsAndKeepsWhatItDoesNotKnow() {
    handler =
        ex ->
            respond(
                ex,
                200,
                lease(
                    "41",
                    "{\"holderIdentity\":\"me\",\"futureField\":{\"a\":1}}",
                    ",\"labels\":{\"team\":\"orders\"},\"managedFields\":[{\"manager\":\"m\"}]"));
    ClientJavaLeaseLock lock = lock();
    LeaseRecord read = await(lock.get(T)).orElseThrow();
    Instant t = Instant.parse("2026-12-02T10:00:00.123456789Z");
    await(lock.update(new LeaseRecord("me", 15, t, t, 2, null, null, read.version()), T));
    JsonObject sent = JsonParser.parseString(bodies.get(1)).getAsJsonObject();
    JsonObject meta = sent.getAsJsonObject("metadata");
    assertThat(meta.get("resourceVersion").getAsString()).isEqualTo("41");
    assertThat(meta.get("uid").getAsString()).isEqualTo("uid-1");
    assertThat(meta.getAsJsonObject("labels").get("team").getAsString()).isEqualTo("orders");
    assertThat(meta.has("managedFields")).isFalse();
    JsonObject spec = sent.getAsJsonObject("spec");
    assertThat(spec.get("acquireTime").getAsString()).isEqualTo("2026-12-02T10:00:00.123456Z");
    assertThat(spec.get("renewTime").getAsString()).isEqualTo("2026-12-02T10:00:00.123456Z");
    assertThat(spec.get("leaseTransitions").getAsInt()).isEqualTo(2);
    assertThat(spec.getAsJsonObject("futureField").get("a").getAsInt()).isEqualTo(1);
    assertThat(spec.has("strategy")).as("unset fields are left out").isFalse();
  }

  @Test
  void updateWithoutVersionIsRefusedWithoutARequest() {
    LeaseRecord r = new LeaseRecord("me", 15, Instant.now(), Instant.now(), 0, null, null, null);
    assertThat(failure(lock().update(r, T)).reason()).isEqualTo(Reason.INVALID);
    assertThat(requests).hasValue(0);
  }

  @Test
  void theNamespaceIsTheGivenOneOrThePodsOwnNeverADefault(@TempDir Path tmp) throws IOException {
    Path file = tmp.resolve("namespace");
    Files.writeString(file, "pod-ns\n");
    assertThat(ClientJavaLeaseLock.builder(api).name("l").namespaceFile(file).build().namespace())
        .isEqualTo("pod-ns");
    assertThat(
            ClientJavaLeaseLock.builder(api)
                .name("l")
                .namespace("given")
                .namespaceFile(file)
                .build()
                .namespace())
        .isEqualTo("given");
    assertThatThrownBy(
            () ->
                ClientJavaLeaseLock.builder(api)
                    .name("l")
                    .namespaceFile(tmp.resolve("absent"))
                    .namespaceSetting("leaderelection.namespace")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("an ApiClient carries no namespace of its own")
        .hasMessageContaining("leaderelection.namespace");
  }

  @Test
  void builderValidatesNamesAndDefaultsTheIdentity() {
    assertThatThrownBy(() -> ClientJavaLeaseLock.builder(api).namespace("ns").build())
        .hasMessageContaining("name is required");
    assertThatThrownBy(
            () -> ClientJavaLeaseLock.builder(api).namespace("ns").name("Bad_Name").build())
        .hasMessageContaining("not a valid Lease name");
    assertThat(ClientJavaLeaseLock.builder(api).namespace("ns").name("ok").build().identity())
        .isNotEmpty();
  }

  @Test
  void aWatchThatIsGoneListsAgainAndDeliversTheNewRecord() throws Exception {
    AtomicInteger lists = new AtomicInteger();
    handler =
        ex -> {
          String q = String.valueOf(ex.getRequestURI().getRawQuery());
          if (!q.contains("watch=true")) {
            int n = lists.incrementAndGet();
            respond(
                ex,
                200,
                "{\"kind\":\"LeaseList\",\"metadata\":{\"resourceVersion\":\""
                    + (10 * n)
                    + "\"},\"items\":["
                    + lease(Integer.toString(10 * n), "{\"holderIdentity\":\"h" + n + "\"}", "")
                    + "]}");
          } else if (lists.get() == 1) {
            respond(ex, 410, "{\"kind\":\"Status\",\"code\":410}");
          } else {
            respond(ex, 200, ""); // the stream ends at once
          }
        };
    List<Optional<LeaseRecord>> seen = new CopyOnWriteArrayList<>();
    LeaseLock.Watch w =
        java.util.Objects.requireNonNull(
            lock().watch(r -> seen.add(Optional.ofNullable(r)), Scheduler.shared()));
    try {
      ClientJavaIt.waitFor(
          "a second list after 410", Duration.ofSeconds(5), () -> lists.get() >= 2);
      ClientJavaIt.waitFor("the new record", Duration.ofSeconds(5), () -> seen.size() >= 2);
      assertThat(seen.get(0).orElseThrow().holderIdentity()).isEqualTo("h1");
      assertThat(seen.get(1).orElseThrow().holderIdentity()).isEqualTo("h2");
      assertThat(queries)
          .anySatisfy(
              q ->
                  assertThat(q)
                      .contains("watch=true")
                      .contains("allowWatchBookmarks=true")
                      .contains("fieldSelector=metadata.name%3Dmy-lease")
                      .contains("resourceVersion=10"));
    } finally {
      w.close();
    }
  }
}
