package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LeaseLock} on a Kubernetes {@code coordination.k8s.io/v1} Lease, through the fabric8
 * kubernetes-client.
 *
 * <pre>{@code
 * LeaseLock lock = KubernetesLeaseLock.builder(client).name("my-controller").build();
 * }</pre>
 *
 * <p><b>Wire format.</b> The Lease is written as client-go writes it, so this library and Go
 * components can contend for the same Lease: times are {@code MicroTime} (RFC 3339, UTC, six
 * fractional digits), a missing record field is left out of the spec, {@code strategy} and {@code
 * preferredHolder} are kept. An update replaces the spec with compare-and-swap on {@code
 * metadata.resourceVersion}; it keeps the labels, annotations and spec fields unknown to this
 * library of the object it was read as.
 *
 * <p><b>Calls.</b> Every call is asynchronous (no thread waits for it) and made exactly once: the
 * fabric8 client's own retries with back-off are switched off for these requests, and each one is
 * abandoned when the timeout the election gives it passes ({@link Reason#TIMEOUT}). A conflict
 * ({@code 409}) is reported as {@link Reason#CONFLICT} and never retried here. The only request
 * fabric8 may repeat is one answered {@code 401}, once, after re-reading a rotated token, still
 * within the same timeout.
 *
 * <p><b>Errors</b> complete the stage with a {@link LeaseLockException} that names the verb, the
 * Lease and the API server: {@code 403} names the user and the RBAC rule to add; a missing
 * namespace says so; an unreachable API server is {@link Reason#UNAVAILABLE}; {@code 429} is {@link
 * Reason#THROTTLED} with the server's {@code Retry-After}.
 *
 * <p><b>Age.</b> A read sets {@link LeaseRecord#writtenAgo()} from the API server's own clock: the
 * response's {@code Date} header against the newest {@code metadata.managedFields[].time} (stamped
 * by the API server on every change), less one second for their whole-second resolution. The
 * holder's {@code renewTime} is never used for it.
 *
 * <p><b>Malformed Leases</b> never fail a read: a spec field of the wrong type or out of range, or
 * a time that is not RFC 3339, reads as {@code null} (the election gives each missing field a
 * defined meaning, and never compares a Lease's times with its own clock). Only an answer that is
 * not a Lease at all, or has no {@code resourceVersion}, is {@link Reason#INVALID}.
 *
 * <p><b>Watch.</b> {@link #watch} watches this single Lease (list, then watch from the list's
 * resourceVersion, with bookmarks); it reconnects with back-off after errors and API server
 * restarts and re-lists after {@code 410 Gone}. It needs the verbs {@code list} and {@code watch};
 * without them it logs the RBAC rule to add and keeps retrying slowly, and the election still works
 * by polling. Disable it with {@link Builder#watch(boolean)}.
 *
 * <p><b>RBAC.</b> A Role in the Lease's namespace with {@code apiGroups: ["coordination.k8s.io"],
 * resources: ["leases"], verbs: ["get", "create", "update", "list", "watch"]} (the last two only
 * for the watch).
 *
 * <p>Thread-safe. Calls may complete on the HTTP client's I/O threads or, for timeouts, on the
 * JDK's shared delay thread.
 */
public final class KubernetesLeaseLock implements LeaseLock {

  /** Where a pod finds its own namespace. */
  static final String SERVICE_ACCOUNT_NAMESPACE_FILE =
      "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final String JSON = "application/json";
  private static final long ABORT_MARGIN_MS = 100;

  private final HttpClient http;
  private final KubernetesSerialization json;
  private final String apiServer;
  private final String namespace;
  private final String name;
  private final String identity;
  private final boolean watchEnabled;
  private final String leasesUrl;
  private final String leaseUrl;
  private final LeaseErrors errors;

  /** The last Lease object seen (from any call or the watch), to keep its metadata on update. */
  private final AtomicReference<@Nullable Map<?, ?>> lastSeen = new AtomicReference<>();

  /**
   * The Lease's uid as last seen; never cleared, so that an update of a Lease deleted since it was
   * read fails instead of re-creating it.
   */
  private final AtomicReference<@Nullable String> knownUid = new AtomicReference<>();

  private KubernetesLeaseLock(Builder b, String namespace, String identity) {
    KubernetesClient client = b.client;
    // The client's HttpClient retries 5xx, 429 and I/O errors with back-off on its own, following
    // the RequestConfig tagged on it. A derived client with no retries shares its connections.
    RequestConfig noRetries =
        new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
            .withRequestRetryBackoffLimit(0)
            .build();
    this.http = client.getHttpClient().newBuilder().tag(noRetries).build();
    this.json = client.getKubernetesSerialization();
    String master = client.getMasterUrl().toString();
    this.apiServer = master.endsWith("/") ? master.substring(0, master.length() - 1) : master;
    this.namespace = namespace;
    this.name = Objects.requireNonNull(b.name);
    this.identity = identity;
    this.watchEnabled = b.watch;
    this.leasesUrl = apiServer + "/apis/coordination.k8s.io/v1/namespaces/" + namespace + "/leases";
    this.leaseUrl = leasesUrl + "/" + name;
    this.errors = new LeaseErrors(apiServer, namespace, name);
  }

  /**
   * Starts building a lock.
   *
   * @param client the fabric8 client to use; its configuration (API server, credentials, TLS) is
   *     used, and it must stay open while the lock is used
   * @return a builder; {@link Builder#name(String)} is required
   */
  public static Builder builder(KubernetesClient client) {
    return new Builder(client);
  }

  /** {@return the Lease's namespace} */
  public String namespace() {
    return namespace;
  }

  /** {@return the Lease's name} */
  public String name() {
    return name;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public String description() {
    return "lease " + namespace + "/" + name;
  }

  @Override
  public String toString() {
    return "KubernetesLeaseLock["
        + namespace
        + "/"
        + name
        + " as "
        + identity
        + " at "
        + apiServer
        + "]";
  }

  @Override
  public CompletionStage<Optional<LeaseRecord>> get(Duration timeout) {
    HttpRequest req = request(leaseUrl, timeout).build();
    return call(
        "get",
        req,
        timeout,
        resp -> {
          if (resp.code() == 200) {
            return Optional.of(readLease("get", resp.body(), resp.header("Date")));
          }
          if (resp.code() == 404) {
            return Optional.empty();
          }
          throw failure("get", resp);
        });
  }

  @Override
  public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
    String body = json.asJson(LeaseJson.forCreate(namespace, name, record));
    HttpRequest req = request(leasesUrl, timeout).post(JSON, body).build();
    return call(
        "create",
        req,
        timeout,
        resp -> {
          if (resp.code() == 201 || resp.code() == 200) {
            return readLease("create", resp.body());
          }
          throw failure("create", resp);
        });
  }

  @Override
  public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
    String version = record.version();
    if (version == null || version.isEmpty()) {
      return CompletableFuture.failedFuture(
          new LeaseLockException(
              Reason.INVALID,
              "update of Lease "
                  + namespace
                  + "/"
                  + name
                  + " needs the version it is based on; an update without one would not be a"
                  + " compare-and-swap",
              null));
    }
    Map<?, ?> seen = lastSeen.get();
    Map<?, ?> base = seen != null && version.equals(LeaseJson.resourceVersion(seen)) ? seen : null;
    String uid = knownUid.get();
    String body = json.asJson(LeaseJson.forUpdate(namespace, name, record, version, base, uid));
    HttpRequest req = request(leaseUrl, timeout).put(JSON, body).build();
    return call(
        "update",
        req,
        timeout,
        resp -> {
          if (resp.code() == 200 || resp.code() == 201) {
            return readLease("update", resp.body());
          }
          throw failure("update", resp);
        });
  }

  @Override
  public @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
    if (!watchEnabled) {
      return null;
    }
    return LeaseWatcher.start(this, listener, scheduler);
  }

  // ---- shared with LeaseWatcher ----------------------------------------------------------------

  HttpClient http() {
    return http;
  }

  KubernetesSerialization json() {
    return json;
  }

  String leasesUrl() {
    return leasesUrl;
  }

  LeaseErrors errors() {
    return errors;
  }

  void remember(Map<?, ?> lease) {
    lastSeen.set(lease);
    String uid = LeaseJson.uid(lease);
    if (uid != null) {
      knownUid.set(uid);
    }
  }

  /**
   * A request whose connection the HTTP client drops shortly after {@code timeout} if no answer has
   * come. The call itself ends at {@code timeout} exactly (see {@link #call}); the margin only
   * makes sure that it ends as a {@link Reason#TIMEOUT} rather than as the HTTP client's own
   * failure.
   */
  HttpRequest.Builder request(String url, Duration timeout) {
    return http.newHttpRequestBuilder()
        .uri(url)
        .header("Accept", JSON)
        .timeout(Math.max(1, timeout.toMillis()) + ABORT_MARGIN_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Sends {@code req} once and maps the answer, failing with {@link Reason#TIMEOUT} when {@code
   * timeout} passes first. {@code onResponse} may throw a {@link LeaseLockException}.
   */
  <T> CompletableFuture<T> call(
      String verb,
      HttpRequest req,
      Duration timeout,
      Function<HttpResponse<String>, T> onResponse) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (timeout.isNegative() || timeout.isZero()) {
      result.completeExceptionally(errors.timeout(verb, timeout));
      return result;
    }
    CompletableFuture<HttpResponse<String>> sent;
    try {
      sent = http.sendAsync(req, String.class);
    } catch (RuntimeException e) {
      result.completeExceptionally(errors.transport(verb, e));
      return result;
    }
    CompletableFuture<T> inner = new CompletableFuture<>();
    var unusedSent =
        sent.whenComplete(
            (resp, err) -> {
              if (err != null) {
                inner.completeExceptionally(errors.transport(verb, err));
                return;
              }
              try {
                inner.complete(onResponse.apply(resp));
              } catch (LeaseLockException e) {
                inner.completeExceptionally(e);
              } catch (RuntimeException e) {
                inner.completeExceptionally(errors.unreadable(verb, e));
              }
            });
    var unusedInner =
        inner
            .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
            .whenComplete(
                (value, err) -> {
                  if (err == null) {
                    result.complete(value);
                  } else if (err instanceof TimeoutException) {
                    sent.cancel(true);
                    result.completeExceptionally(errors.timeout(verb, timeout));
                  } else {
                    result.completeExceptionally(LeaseErrors.unwrap(err));
                  }
                });
    return result;
  }

  /** Parses a JSON body into a generic map, or fails with {@link Reason#INVALID}. */
  Map<?, ?> readMap(String verb, @Nullable String body) {
    if (body == null || body.isBlank()) {
      throw errors.unreadable(verb, null);
    }
    Object parsed;
    try {
      parsed = json.unmarshal(body, Map.class);
    } catch (RuntimeException e) {
      throw errors.unreadable(verb, e);
    }
    if (!(parsed instanceof Map<?, ?> m)) {
      throw errors.unreadable(verb, null);
    }
    return m;
  }

  private LeaseRecord readLease(String verb, @Nullable String body) {
    return readLease(verb, body, null);
  }

  /**
   * {@code serverDate}: the response's {@code Date} header, to tell how long ago it was written.
   */
  private LeaseRecord readLease(String verb, @Nullable String body, @Nullable String serverDate) {
    Map<?, ?> lease = readMap(verb, body);
    LeaseRecord record = LeaseJson.toRecord(lease);
    if (record.version() == null) {
      throw errors.unreadable(verb, null);
    }
    remember(lease);
    return serverDate == null
        ? record
        : record.withWrittenAgo(LeaseJson.writtenAgo(lease, serverDate));
  }

  LeaseLockException failure(String verb, HttpResponse<String> resp) {
    Map<?, ?> status = Map.of();
    String body = resp.body();
    if (body != null && body.trim().startsWith("{")) {
      try {
        Object parsed = json.unmarshal(body, Map.class);
        if (parsed instanceof Map<?, ?> m) {
          status = m;
        }
      } catch (RuntimeException e) {
        // not a Status; the code alone tells what happened
      }
    }
    return errors.fromStatus(verb, resp.code(), status, resp.header("Retry-After"));
  }

  /** Builds a {@link KubernetesLeaseLock}. Not thread-safe; use from one thread. */
  public static final class Builder {
    private final KubernetesClient client;
    private @Nullable String name;
    private @Nullable String namespace;
    private @Nullable String identity;
    private boolean watch = true;
    private Path namespaceFile = Path.of(SERVICE_ACCOUNT_NAMESPACE_FILE);

    private Builder(KubernetesClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * The Lease's name (required): a DNS subdomain, such as {@code my-controller}.
     *
     * @param name the Lease's name
     * @return this builder
     */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * The Lease's namespace. If not set: the pod's own namespace (from the service-account
     * namespace file), else the client's configured namespace (kubeconfig context); never a silent
     * {@code default}. {@link #build()} fails if none of these is known.
     *
     * @param namespace the Lease's namespace
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /**
     * The identity this candidate writes as holder; by default {@link
     * LeaseIdentity#defaultIdentity()} (pod or host name plus a random suffix). Must be unique
     * among the candidates: two candidates with one identity both believe they hold the Lease.
     *
     * @param identity the holder identity, not empty
     * @return this builder
     */
    public Builder identity(String identity) {
      this.identity = identity;
      return this;
    }

    /**
     * Whether {@link KubernetesLeaseLock#watch} watches the Lease (default {@code true}). Without
     * it the election polls, and the Role needs no {@code list} and {@code watch}.
     *
     * @param watch whether to watch
     * @return this builder
     */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /** For tests: where the pod's namespace is read from. */
    Builder namespaceFile(Path file) {
      this.namespaceFile = file;
      return this;
    }

    /**
     * Builds the lock. Makes no API call.
     *
     * @return the lock
     * @throws IllegalArgumentException if the name, namespace or identity is missing or malformed
     * @throws IllegalStateException if no namespace was given and none can be found
     */
    public KubernetesLeaseLock build() {
      String n = name;
      if (n == null || n.isEmpty()) {
        throw new IllegalArgumentException(
            "name is required: KubernetesLeaseLock.builder(client).name(\"...\")");
      }
      if (n.length() > 253 || !DNS_SUBDOMAIN.matcher(n).matches()) {
        throw new IllegalArgumentException(
            "name \""
                + n
                + "\" is not a valid Lease name (a DNS subdomain: lower-case letters,"
                + " digits, '-' and '.', at most 253 characters)");
      }
      String ns = resolveNamespace();
      if (ns.length() > 63 || !DNS_LABEL.matcher(ns).matches()) {
        throw new IllegalArgumentException(
            "namespace \""
                + ns
                + "\" is not a valid namespace name (a DNS label: lower-case"
                + " letters, digits and '-', at most 63 characters)");
      }
      String id = identity == null ? LeaseIdentity.defaultIdentity() : identity;
      if (id.isEmpty()) {
        throw new IllegalArgumentException("identity must not be empty");
      }
      return new KubernetesLeaseLock(this, ns, id);
    }

    private String resolveNamespace() {
      if (namespace != null) {
        return namespace;
      }
      try {
        if (Files.isRegularFile(namespaceFile)) {
          String s = Files.readString(namespaceFile, StandardCharsets.UTF_8).trim();
          if (!s.isEmpty()) {
            return s;
          }
        }
      } catch (IOException e) {
        // fall through to the client's namespace
      }
      String configured = client.getNamespace();
      if (configured != null && !configured.isBlank()) {
        return configured.trim();
      }
      throw new IllegalStateException(
          "no namespace for Lease \""
              + name
              + "\": not given to the builder, not running in a pod ("
              + namespaceFile
              + " is absent), and the client has no namespace configured. Set one with"
              + " KubernetesLeaseLock.builder(client).namespace(\"...\").");
    }
  }
}
