package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.CallTimeout;
import dev.leaderelection.core.kubernetes.LeaseErrors;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP calls of one Lease: each sent once, abandoned when its time passes, its answer read with
 * fabric8's typed model and its failure worded by {@link LeaseErrors}.
 */
final class Fabric8Calls {
  static final String JSON = "application/json";

  /** How much later than the call's own timeout the HTTP client drops the connection. */
  private static final long ABORT_MARGIN_MS = 100;

  final HttpClient http;
  final KubernetesSerialization json;
  final String apiServer;
  final LeaseErrors errors;

  /**
   * The no-retry client derived from each of the application's clients, shared by every lock built
   * from it: a derived fabric8 client has a connection pool of its own (Vert.x creates one per
   * build), so one per lock meant one TLS connection to the API server per elector. Weak both ways:
   * it goes when the application's client and every lock on it are gone.
   */
  private static final Map<HttpClient, WeakReference<HttpClient>> NO_RETRY_CLIENTS =
      new WeakHashMap<>();

  Fabric8Calls(KubernetesClient client, String namespace, String name, String namespaceSetting) {
    this.http = noRetryClient(client);
    this.json = client.getKubernetesSerialization();
    String master = client.getMasterUrl().toString();
    this.apiServer = master.endsWith("/") ? master.substring(0, master.length() - 1) : master;
    this.errors = new LeaseErrors(apiServer, namespace, name, namespaceSetting);
  }

  private static HttpClient noRetryClient(KubernetesClient client) {
    HttpClient base = client.getHttpClient();
    synchronized (NO_RETRY_CLIENTS) {
      WeakReference<HttpClient> ref = NO_RETRY_CLIENTS.get(base);
      HttpClient derived = ref == null ? null : ref.get();
      if (derived == null) {
        derived = base.newBuilder().tag(noRetries(client, null)).build();
        NO_RETRY_CLIENTS.put(base, new WeakReference<>(derived));
      }
      return derived;
    }
  }

  /**
   * The client's request settings with fabric8's own retries off. fabric8 retries 5xx, 429 and I/O
   * errors with back-off by default; a hidden retry can keep a leader past its deadline, so this
   * library's requests are made exactly once (the only repeat fabric8 still makes is one after a
   * {@code 401}, with a re-read token, within the same timeout).
   *
   * @param timeout the request timeout to set, or {@code null} to keep the client's
   */
  static RequestConfig noRetries(KubernetesClient client, @Nullable Duration timeout) {
    RequestConfigBuilder b =
        new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
            .withRequestRetryBackoffLimit(0);
    if (timeout != null) {
      b.withRequestTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }
    return b.build();
  }

  /**
   * A request whose connection the HTTP client drops shortly after {@code timeout}. The call ends
   * at {@code timeout} exactly (see {@link #call}); the margin only makes it end as a {@link
   * Reason#TIMEOUT} rather than as the HTTP client's own failure.
   */
  HttpRequest.Builder request(String url, Duration timeout) {
    return http.newHttpRequestBuilder()
        .uri(url)
        .header("Accept", JSON)
        .timeout(Math.max(1, timeout.toMillis()) + ABORT_MARGIN_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Sends {@code req} once and maps the answer; fails with {@link Reason#TIMEOUT} when {@code
   * timeout} passes first, timed by {@code timer} or, without one, the JDK's shared delay thread.
   * {@code onResponse} may throw a {@link LeaseLockException}.
   */
  <T> CompletableFuture<T> call(
      String verb,
      HttpRequest req,
      Duration timeout,
      @Nullable Scheduler timer,
      Function<HttpResponse<String>, T> onResponse) {
    if (timeout.isNegative() || timeout.isZero()) {
      return CompletableFuture.failedFuture(errors.timeout(verb, timeout));
    }
    CompletableFuture<HttpResponse<String>> sent;
    try {
      sent = http.sendAsync(req, String.class);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(errors.transport(verb, e));
    }
    CompletableFuture<T> answer = new CompletableFuture<>();
    var unusedSent =
        sent.whenComplete(
            (resp, err) -> {
              if (err != null) {
                answer.completeExceptionally(errors.transport(verb, err));
                return;
              }
              try {
                answer.complete(onResponse.apply(resp));
              } catch (LeaseLockException e) {
                answer.completeExceptionally(e);
              } catch (RuntimeException e) {
                answer.completeExceptionally(errors.unreadable(verb, e));
              }
            });
    return CallTimeout.within(
        answer, timeout, timer, () -> sent.cancel(true), () -> errors.timeout(verb, timeout));
  }

  /** Parses a success answer's body as {@code type}, or fails with {@link Reason#INVALID}. */
  <T> T read(String verb, @Nullable String body, Class<T> type) {
    if (body == null || body.isBlank()) {
      throw errors.unreadable(verb, null);
    }
    try {
      return json.unmarshal(body, type);
    } catch (RuntimeException e) {
      throw errors.unreadable(verb, e);
    }
  }

  /** The exception for an answer that is not a success; its body is a {@code Status} if any. */
  LeaseLockException failure(String verb, int code, @Nullable String body, HttpResponse<?> resp) {
    Status status = null;
    if (body != null && body.trim().startsWith("{")) {
      try {
        status = json.unmarshal(body, Status.class);
      } catch (RuntimeException e) {
        // not a Status; the code alone tells what happened
      }
    }
    return failure(verb, code, status, resp.header("Retry-After"));
  }

  LeaseLockException failure(
      String verb, int code, @Nullable Status status, @Nullable String retryAfter) {
    var details = status == null ? null : status.getDetails();
    return errors.fromStatus(
        verb,
        code,
        status == null ? null : status.getMessage(),
        details == null ? null : details.getKind(),
        retryAfter,
        details == null ? null : details.getRetryAfterSeconds());
  }
}
