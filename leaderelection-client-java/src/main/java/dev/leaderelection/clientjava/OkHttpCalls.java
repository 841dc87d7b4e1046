package dev.leaderelection.clientjava;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.CallTimeout;
import dev.leaderelection.core.kubernetes.LeaseErrors;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP calls of one Lease over the application's {@link ApiClient}: each request built by the
 * {@code ApiClient} (so its credentials apply: bearer token, client certificate, token-file
 * refresh), sent once on a derived OkHttp client, abandoned when its time passes, its answer read
 * as JSON and its failure worded by {@link LeaseErrors}.
 *
 * <p>The derived clients share the application's connection pool, TLS settings and interceptors,
 * and differ in what makes a hidden retry or a stall: {@code retryOnConnectionFailure} and
 * redirects off, no read, write or connect timeouts of their own (the election's timeout ends each
 * call), and a {@link Dispatcher} of their own, so that the application's own requests (and
 * OkHttp's default limit of five calls per host) never queue the election's renewals, nor the other
 * way round.
 */
final class OkHttpCalls {
  static final String JSON = "application/json";
  private static final String[] AUTH = {"BearerToken"};

  /**
   * How many calls of the locks of one application client run at once. OkHttp holds a thread for
   * each call in flight, so this bounds the threads of the calls whatever the number of electors;
   * more wait in OkHttp's queue without a thread (their timeout runs from the moment they were
   * made, so a call queued too long ends as a timeout). 16 calls of ~15 ms each carry about 1,000
   * renewals a second: a thousand electors at the default 2 s retry period, twice over.
   */
  static final int MAX_CALLS_IN_FLIGHT = 16;

  /** The derived clients of each application client, shared by every lock built from it. */
  private static final Map<OkHttpClient, WeakReference<Clients>> CLIENTS = new WeakHashMap<>();

  final ApiClient api;

  @SuppressWarnings("UnusedVariable") // held: the map's weak entry lives as long as a lock does
  private final Clients shared;

  final OkHttpClient http;
  final OkHttpClient watchHttp;
  final String apiServer;
  final LeaseErrors errors;

  OkHttpCalls(ApiClient api, String namespace, String name, String namespaceSetting) {
    this.api = api;
    Clients c = clients(api.getHttpClient());
    this.shared = c;
    this.http = c.calls;
    this.watchHttp = c.watches;
    String base = api.getBasePath();
    this.apiServer = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.errors = new LeaseErrors(apiServer, namespace, name, namespaceSetting);
  }

  /**
   * The derived clients: one for calls, one for watch streams (each open stream holds a thread).
   */
  private static final class Clients {
    final OkHttpClient calls;
    final OkHttpClient watches;

    Clients(OkHttpClient base) {
      Dispatcher callDispatcher = new Dispatcher(pool("leaderelection-okhttp"));
      callDispatcher.setMaxRequests(MAX_CALLS_IN_FLIGHT);
      callDispatcher.setMaxRequestsPerHost(MAX_CALLS_IN_FLIGHT);
      // one factory for both, so that calls and watches share connections
      javax.net.SocketFactory sockets = new NoDelaySockets(base.socketFactory());
      this.calls = derive(base, sockets, callDispatcher);
      Dispatcher watchDispatcher = new Dispatcher(pool("leaderelection-okhttp-watch"));
      watchDispatcher.setMaxRequests(Integer.MAX_VALUE);
      watchDispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
      this.watches = derive(base, sockets, watchDispatcher);
    }

    private static OkHttpClient derive(
        OkHttpClient base, javax.net.SocketFactory sockets, Dispatcher dispatcher) {
      return base.newBuilder()
          .dispatcher(dispatcher)
          .socketFactory(sockets)
          .retryOnConnectionFailure(false)
          .followRedirects(false)
          .followSslRedirects(false)
          .connectTimeout(0, TimeUnit.MILLISECONDS)
          .readTimeout(0, TimeUnit.MILLISECONDS)
          .writeTimeout(0, TimeUnit.MILLISECONDS)
          .callTimeout(0, TimeUnit.MILLISECONDS)
          .build();
    }

    /**
     * Daemon threads that go after 3 s idle: a burst (start-up, an API server back after an outage)
     * leaves none behind, and an elector renewing every 2 s keeps reusing one.
     */
    private static ExecutorService pool(String name) {
      AtomicInteger n = new AtomicInteger();
      ThreadFactory f =
          r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          };
      return new ThreadPoolExecutor(
          0, Integer.MAX_VALUE, 3, TimeUnit.SECONDS, new SynchronousQueue<>(), f);
    }
  }

  private static Clients clients(OkHttpClient base) {
    synchronized (CLIENTS) {
      WeakReference<Clients> ref = CLIENTS.get(base);
      Clients c = ref == null ? null : ref.get();
      if (c == null) {
        c = new Clients(base);
        CLIENTS.put(base, new WeakReference<>(c));
      }
      return c;
    }
  }

  /**
   * A request built by the {@code ApiClient}: its base path, default headers and credentials.
   *
   * @param path the path under the API server
   * @param query query parameters (values are escaped)
   * @param method the HTTP method
   * @param body the JSON body, or {@code null}
   */
  Request request(String path, List<Pair> query, String method, @Nullable JsonObject body) {
    Map<String, String> headers = new HashMap<>();
    headers.put("Accept", JSON);
    if (body != null) {
      headers.put("Content-Type", JSON);
    }
    try {
      return api.buildRequest(
          null,
          path,
          method,
          new ArrayList<>(query),
          new ArrayList<>(),
          body == null ? null : body.toString().getBytes(StandardCharsets.UTF_8),
          headers,
          new HashMap<>(),
          new HashMap<>(),
          AUTH,
          null);
    } catch (ApiException e) {
      throw new IllegalStateException("the ApiClient could not build the request: " + e, e);
    }
  }

  /** An answer: status code, body and the headers the election reads. */
  record Answer(int code, String body, @Nullable String date, @Nullable String retryAfter) {}

  /**
   * Sends {@code req} once and maps the answer; fails with {@link Reason#TIMEOUT} when {@code
   * timeout} passes first, timed by {@code timer} or, without one, the JDK's shared delay thread
   * (and then cancels the call). {@code onAnswer} may throw a {@link LeaseLockException}.
   */
  <T> CompletableFuture<T> call(
      String verb,
      Request req,
      Duration timeout,
      @Nullable Scheduler timer,
      java.util.function.Function<Answer, T> onAnswer) {
    if (timeout.isNegative() || timeout.isZero()) {
      return CompletableFuture.failedFuture(errors.timeout(verb, timeout));
    }
    Call call = http.newCall(req);
    CompletableFuture<T> answer = new CompletableFuture<>();
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            answer.completeExceptionally(errors.transport(verb, e));
          }

          @Override
          public void onResponse(Call c, Response response) {
            Answer a;
            try (response) {
              ResponseBody b = response.body();
              a =
                  new Answer(
                      response.code(),
                      b == null ? "" : b.string(),
                      response.header("Date"),
                      response.header("Retry-After"));
            } catch (IOException | RuntimeException e) {
              answer.completeExceptionally(errors.transport(verb, e));
              return;
            }
            try {
              answer.complete(onAnswer.apply(a));
            } catch (LeaseLockException e) {
              answer.completeExceptionally(e);
            } catch (RuntimeException e) {
              answer.completeExceptionally(errors.unreadable(verb, e));
            }
          }
        });
    return CallTimeout.within(
        answer, timeout, timer, call::cancel, () -> errors.timeout(verb, timeout));
  }

  /** Parses a success answer's body as a JSON object, or fails with {@link Reason#INVALID}. */
  JsonObject read(String verb, @Nullable String body) {
    if (body == null || body.isBlank()) {
      throw errors.unreadable(verb, null);
    }
    try {
      JsonElement e = JsonParser.parseString(body);
      if (!e.isJsonObject()) {
        throw errors.unreadable(verb, null);
      }
      return e.getAsJsonObject();
    } catch (RuntimeException e) {
      if (e instanceof LeaseLockException lle) {
        throw lle;
      }
      throw errors.unreadable(verb, e);
    }
  }

  /** The exception for an answer that is not a success; its body is a {@code Status} if any. */
  LeaseLockException failure(String verb, int code, @Nullable String body, @Nullable String ra) {
    JsonObject status = null;
    if (body != null && body.trim().startsWith("{")) {
      try {
        JsonElement e = JsonParser.parseString(body);
        status = e.isJsonObject() ? e.getAsJsonObject() : null;
      } catch (RuntimeException e) {
        // not a Status; the code alone tells what happened
      }
    }
    return failure(verb, code, status, ra);
  }

  LeaseLockException failure(
      String verb, int code, @Nullable JsonObject status, @Nullable String retryAfter) {
    JsonObject details = status == null ? null : safeObject(status, "details");
    return errors.fromStatus(
        verb,
        code,
        status == null ? null : safeString(status, "message"),
        details == null ? null : safeString(details, "kind"),
        retryAfter,
        details == null ? null : safeInt(details, "retryAfterSeconds"));
  }

  private static @Nullable JsonObject safeObject(JsonObject o, String f) {
    return o.get(f) instanceof JsonObject j ? j : null;
  }

  private static @Nullable String safeString(JsonObject o, String f) {
    return o.get(f) instanceof JsonPrimitive p && p.isString() ? p.getAsString() : null;
  }

  private static @Nullable Integer safeInt(JsonObject o, String f) {
    return o.get(f) instanceof JsonPrimitive p && p.isNumber() ? p.getAsInt() : null;
  }

  /**
   * Sockets with {@code TCP_NODELAY}, which OkHttp leaves off: with Nagle's algorithm a request
   * written as two segments (an HTTP/2 HEADERS frame, then its DATA) waits for the server's delayed
   * ACK of the first, about 40 ms, which made a follower's take-over of a released Lease 40 ms
   * slower than on the fabric8 backend (Netty sets it).
   */
  static final class NoDelaySockets extends javax.net.SocketFactory {
    private final javax.net.SocketFactory delegate;

    NoDelaySockets(javax.net.SocketFactory delegate) {
      this.delegate = delegate;
    }

    private static java.net.Socket noDelay(java.net.Socket s) throws IOException {
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public java.net.Socket createSocket() throws IOException {
      return noDelay(delegate.createSocket());
    }

    @Override
    public java.net.Socket createSocket(String host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public java.net.Socket createSocket(
        String host, int port, java.net.InetAddress localHost, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public java.net.Socket createSocket(
        java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort)
        throws IOException {
      return noDelay(delegate.createSocket(address, port, localAddress, localPort));
    }
  }
}
