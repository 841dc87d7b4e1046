package dev.leaderelection.clientjava;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.KubernetesLock;
import dev.leaderelection.core.kubernetes.KubernetesLockBuilder;
import dev.leaderelection.core.kubernetes.LeaseAccess;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.core.kubernetes.LeaseWatchLoop;
import dev.leaderelection.core.kubernetes.ServerTime;
import dev.leaderelection.core.kubernetes.UidFirst;
import io.kubernetes.client.openapi.ApiClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KubernetesLock} on a Kubernetes {@code coordination.k8s.io/v1} Lease, through the
 * official Kubernetes Java client ({@code io.kubernetes:client-java} 25 and later): for
 * applications that have an {@link ApiClient} and no fabric8.
 *
 * <pre>{@code
 * ApiClient apiClient = Config.defaultClient();
 * LeaseLock lock = ClientJavaLeaseLock.builder(apiClient).name("my-controller").build();
 * }</pre>
 *
 * <p><b>Wire format.</b> The Lease is written as client-go writes it, so this backend, the fabric8
 * backend and Go components can contend for the same Lease: times are {@code MicroTime} (RFC 3339,
 * UTC, six fractional digits), a missing record field is left out of the spec, {@code strategy} and
 * {@code preferredHolder} are kept. An update replaces the spec with compare-and-swap on {@code
 * metadata.resourceVersion} and the Lease's uid; it keeps the labels, annotations and spec fields
 * unknown to this library of the object it was read as.
 *
 * <p><b>Calls.</b> Each request is built by the {@code ApiClient} (its base path, credentials and
 * default headers apply) and sent on a client derived from its OkHttp client: the same connection
 * pool, TLS settings and interceptors, with OkHttp's retry on connection failure and redirects off
 * and no timeouts of its own; each call is made exactly once and abandoned when the timeout the
 * election gives it passes ({@link Reason#TIMEOUT}). The lock's calls have a dispatcher of their
 * own, so that neither the application's requests nor OkHttp's limit of five calls per host can
 * queue a renewal. A conflict ({@code 409}) is {@link Reason#CONFLICT} and never retried here.
 *
 * <p><b>Errors</b> complete the stage with a {@link LeaseLockException} that names the verb, the
 * Lease and the API server, worded exactly as the fabric8 backend words them: {@code 403} names the
 * user and the least-privilege Role rules to add ({@link LeaseRbac}); a missing namespace says so;
 * an unreachable API server is {@link Reason#UNAVAILABLE}; {@code 429} is {@link Reason#THROTTLED}
 * with the server's {@code Retry-After}.
 *
 * <p><b>Age.</b> A read sets {@link LeaseRecord#writtenAgo()} from the API server's own clock: the
 * response's {@code Date} header against the newest {@code metadata.managedFields[].time}, less one
 * second for their whole-second resolution. The holder's {@code renewTime} is never used for it.
 *
 * <p><b>Odd Leases</b> are read as they are: no holder, a negative duration or a missing time each
 * have a defined meaning in the election. An answer that is not a well-formed Lease (a proxy's
 * error page, a server that is not Kubernetes), or has no {@code resourceVersion}, fails the call
 * as {@link Reason#INVALID}.
 *
 * <p><b>Watch.</b> {@link #watch} watches this single Lease (list, then watch from the list's
 * resourceVersion, with bookmarks); it reconnects with back-off after errors and API server
 * restarts and re-lists after {@code 410 Gone}, with every timer on the election's scheduler. It
 * needs the verbs {@code list} and {@code watch}; without them it logs the RBAC rule to add and
 * keeps retrying slowly, and the election still works by polling. Disable it with {@link
 * Builder#watch(boolean)}. OkHttp reads a response by blocking a thread, so each open watch holds
 * one daemon thread ({@code leaderelection-okhttp-watch-N}) while its candidate follows; a leader
 * has no watch open. The other calls use a thread only while they are in flight, and the locks of
 * one {@code ApiClient} run at most 16 at once (more wait, without a thread), so their threads do
 * not grow with the number of electors.
 *
 * <p><b>Namespace.</b> An {@code ApiClient} carries no namespace, so the Lease's namespace is the
 * one given to the builder, else the pod's own; out of a cluster it must be given.
 *
 * <p><b>RBAC.</b> {@code get, update, list, watch} on this Lease by name ({@code resourceNames}),
 * and {@code create} on Leases in its namespace (a create cannot be limited to a name; that rule
 * can be removed once the Lease exists). {@link LeaseRbac} prints the rules and the kubectl
 * commands.
 *
 * <p>Thread-safe. Calls complete on OkHttp's dispatcher threads ({@code leaderelection-okhttp-N})
 * or, for timeouts, on the JDK's shared delay thread; watch events arrive on the watch's thread.
 */
public final class ClientJavaLeaseLock implements KubernetesLock {
  private final OkHttpCalls calls;
  private final String namespace;
  private final String name;
  private final String identity;
  private final boolean watchEnabled;
  private final String leasesPath;
  private final String leasePath;

  /** The last Lease object seen (from any call or the watch), to keep its metadata on update. */
  private final AtomicReference<@Nullable JsonObject> lastSeen = new AtomicReference<>();

  /**
   * The Lease's uid as last seen; never cleared, so that an update of a Lease deleted since it was
   * read fails instead of re-creating it.
   */
  private final AtomicReference<@Nullable String> knownUid = new AtomicReference<>();

  private ClientJavaLeaseLock(ApiClient api, KubernetesLockBuilder.Settings settings) {
    this.namespace = settings.namespace();
    this.name = settings.name();
    this.identity = settings.identity();
    this.watchEnabled = settings.watch();
    this.calls = new OkHttpCalls(api, namespace, name, settings.namespaceSetting());
    this.leasesPath = "/apis/coordination.k8s.io/v1/namespaces/" + namespace + "/leases";
    this.leasePath = leasesPath + "/" + name;
  }

  /**
   * Starts building a lock.
   *
   * @param apiClient the client to use, such as {@code Config.defaultClient()}; its base path,
   *     credentials and OkHttp client (TLS, interceptors, connection pool) are used
   * @return a builder; {@link Builder#name(String)} is required
   */
  public static Builder builder(ApiClient apiClient) {
    return new Builder(apiClient);
  }

  @Override
  public String namespace() {
    return namespace;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean watches() {
    return watchEnabled;
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
    return "ClientJavaLeaseLock["
        + namespace
        + "/"
        + name
        + " as "
        + identity
        + " at "
        + calls.apiServer
        + "]";
  }

  @Override
  public CompletionStage<Optional<LeaseRecord>> get(Duration timeout) {
    Request req = calls.request(leasePath, List.of(), "GET", null);
    return calls.call(
        "get",
        req,
        timeout,
        null,
        a -> a.code() == 404 ? Optional.empty() : Optional.of(answer("get", a, true)));
  }

  @Override
  public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
    Request req =
        calls.request(leasesPath, List.of(), "POST", LeaseJson.forCreate(namespace, name, record));
    return calls.call("create", req, timeout, null, a -> answer("create", a, false));
  }

  @Override
  public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
    boolean seen = knownUid.get() != null || lastSeen.get() != null;
    return UidFirst.update(record, seen, this::get, this::put, calls.errors, timeout);
  }

  private CompletionStage<LeaseRecord> put(LeaseRecord record, Duration timeout) {
    String version = Objects.requireNonNull(record.version());
    JsonObject seen = lastSeen.get();
    JsonObject base = seen != null && version.equals(LeaseJson.version(seen)) ? seen : null;
    JsonObject body = LeaseJson.forUpdate(namespace, name, record, version, base, knownUid.get());
    Request req = calls.request(leasePath, List.of(), "PUT", body);
    return calls.call("update", req, timeout, null, a -> answer("update", a, false));
  }

  @Override
  public @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
    return watchEnabled
        ? LeaseWatchLoop.start(description(), new WatchTransport(this), listener, scheduler)
        : null;
  }

  @Override
  public CompletionStage<LeaseAccess> checkAccess(Duration timeout) {
    return AccessCheck.run(calls, namespace, name, watchEnabled, timeout);
  }

  // ---- shared with WatchTransport ------------------------------------------------------------

  OkHttpCalls calls() {
    return calls;
  }

  String leasesPath() {
    return leasesPath;
  }

  /** Remembers {@code lease} as the base of the next update; returns its record. */
  LeaseRecord remember(JsonObject lease) {
    LeaseRecord record = LeaseJson.toRecord(lease);
    lastSeen.set(lease);
    String uid = LeaseJson.uid(lease);
    if (uid != null) {
      knownUid.set(uid);
    }
    return record;
  }

  /** The record of the first item of a list answer, or {@code null} if it has none. */
  @Nullable LeaseRecord rememberFirst(JsonObject list) {
    JsonElement items = list.get("items");
    if (items == null || items.isJsonNull()) {
      return null;
    }
    if (!(items instanceof JsonArray a)) {
      throw new LeaseJson.SchemaException("items is not an array");
    }
    if (a.isEmpty()) {
      return null;
    }
    if (!(a.get(0) instanceof JsonObject first)) {
      throw new LeaseJson.SchemaException("items[0] is not an object");
    }
    return remember(first);
  }

  /** The record of a success answer (200 or 201), or the failure it reports. */
  private LeaseRecord answer(String verb, OkHttpCalls.Answer a, boolean withAge) {
    if (a.code() != 200 && a.code() != 201) {
      throw calls.failure(verb, a.code(), a.body(), a.retryAfter());
    }
    JsonObject lease = calls.read(verb, a.body());
    LeaseRecord record;
    try {
      if (LeaseJson.version(lease) == null) {
        throw calls.errors.unreadable(verb, null);
      }
      record = remember(lease);
    } catch (LeaseJson.SchemaException e) {
      throw calls.errors.unreadable(verb, e);
    }
    return withAge
        ? record.withWrittenAgo(ServerTime.writtenAgo(a.date(), LeaseJson.lastWrite(lease)))
        : record;
  }

  /**
   * Builds a {@link ClientJavaLeaseLock}: the settings of {@link KubernetesLockBuilder}; an {@code
   * ApiClient} has no namespace of its own, so the namespace is the given one or the pod's. Not
   * thread-safe.
   */
  public static final class Builder extends KubernetesLockBuilder<Builder> {
    private final ApiClient api;

    private Builder(ApiClient api) {
      super("ClientJavaLeaseLock.builder(apiClient)");
      this.api = Objects.requireNonNull(api, "apiClient");
    }

    @Override
    protected Builder self() {
      return this;
    }

    /** For tests: where the pod's namespace is read from. */
    Builder namespaceFile(Path file) {
      return podNamespaceFile(file);
    }

    /**
     * Builds the lock. Makes no API call.
     *
     * @return the lock
     * @throws IllegalArgumentException if the name, namespace or identity is missing or malformed
     * @throws IllegalStateException if no namespace was given and none can be found
     */
    public ClientJavaLeaseLock build() {
      return new ClientJavaLeaseLock(
          api, settings(null, "; an ApiClient carries no namespace of its own"));
    }
  }
}
