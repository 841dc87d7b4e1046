package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.KubernetesLock;
import dev.leaderelection.core.kubernetes.KubernetesLockBuilder;
import dev.leaderelection.core.kubernetes.LeaseAccess;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import dev.leaderelection.core.kubernetes.ServerTime;
import dev.leaderelection.core.kubernetes.UidFirst;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KubernetesLock} on a Kubernetes {@code coordination.k8s.io/v1} Lease, through the
 * fabric8 kubernetes-client (7.5 and later, 8.x).
 *
 * <pre>{@code
 * LeaseLock lock = KubernetesLeaseLock.builder(client).name("my-controller").build();
 * }</pre>
 *
 * <p><b>Wire format.</b> The Lease is written with fabric8's typed model, as client-go writes it,
 * so this library and Go components can contend for the same Lease: times are {@code MicroTime}
 * (RFC 3339, UTC, six fractional digits), a missing record field is left out of the spec, {@code
 * strategy} and {@code preferredHolder} are kept. An update replaces the spec with compare-and-swap
 * on {@code metadata.resourceVersion}; it keeps the labels, annotations and spec fields unknown to
 * this library of the object it was read as.
 *
 * <p><b>Calls.</b> Every call is asynchronous (no thread waits for it) and made exactly once: the
 * fabric8 client's own retries with back-off are switched off for these requests, and each one is
 * abandoned when the timeout the election gives it passes ({@link Reason#TIMEOUT}). A conflict
 * ({@code 409}) is reported as {@link Reason#CONFLICT} and never retried here. The only request
 * fabric8 may repeat is one answered {@code 401}, once, after re-reading a rotated token, still
 * within the same timeout.
 *
 * <p><b>Errors</b> complete the stage with a {@link LeaseLockException} that names the verb, the
 * Lease and the API server: {@code 403} names the user and the least-privilege Role rules to add
 * ({@link LeaseRbac}); a missing namespace says so; an unreachable API server is {@link
 * Reason#UNAVAILABLE}; {@code 429} is {@link Reason#THROTTLED} with the server's {@code
 * Retry-After}.
 *
 * <p><b>Age.</b> A read sets {@link LeaseRecord#writtenAgo()} from the API server's own clock: the
 * response's {@code Date} header against the newest {@code metadata.managedFields[].time} (stamped
 * by the API server on every change), less one second for their whole-second resolution. The
 * holder's {@code renewTime} is never used for it.
 *
 * <p><b>Odd Leases</b> are read as they are: no holder, a negative duration or a missing time each
 * have a defined meaning in the election. The API server validates every Lease, so each of its
 * answers is a well-formed Lease; an answer that is not (a proxy's error page, a server that is not
 * Kubernetes), or has no {@code resourceVersion}, fails the call as {@link Reason#INVALID}.
 *
 * <p><b>Watch.</b> {@link #watch} watches this single Lease (list, then watch from the list's
 * resourceVersion, with bookmarks); it reconnects with back-off after errors and API server
 * restarts and re-lists after {@code 410 Gone}, with every timer on the election's scheduler. It
 * needs the verbs {@code list} and {@code watch}; without them it logs the RBAC rule to add and
 * keeps retrying slowly, and the election still works by polling. Disable it with {@link
 * Builder#watch(boolean)}.
 *
 * <p><b>RBAC.</b> {@code get, update, list, watch} on this Lease by name ({@code resourceNames}),
 * and {@code create} on Leases in its namespace (a create cannot be limited to a name; that rule
 * can be removed once the Lease exists). {@link LeaseRbac} prints the rules and the kubectl
 * commands.
 *
 * <p>Thread-safe. Calls complete on the HTTP client's I/O threads or, for timeouts, on the JDK's
 * shared delay thread; watch events arrive on the HTTP client's I/O threads.
 */
public final class KubernetesLeaseLock implements KubernetesLock {
  private final KubernetesClient client;
  private final Fabric8Calls calls;
  private final String namespace;
  private final String name;
  private final String identity;
  private final boolean watchEnabled;
  private final String leasesUrl;
  private final String leaseUrl;

  /** The last Lease object seen (from any call or the watch), to keep its metadata on update. */
  private final AtomicReference<@Nullable Lease> lastSeen = new AtomicReference<>();

  /**
   * The Lease's uid as last seen; never cleared, so that an update of a Lease deleted since it was
   * read fails instead of re-creating it.
   */
  private final AtomicReference<@Nullable String> knownUid = new AtomicReference<>();

  private KubernetesLeaseLock(KubernetesClient client, KubernetesLockBuilder.Settings settings) {
    this.client = client;
    this.namespace = settings.namespace();
    this.name = settings.name();
    this.identity = settings.identity();
    this.watchEnabled = settings.watch();
    this.calls = new Fabric8Calls(client, namespace, name, settings.namespaceSetting());
    this.leasesUrl =
        calls.apiServer + "/apis/coordination.k8s.io/v1/namespaces/" + namespace + "/leases";
    this.leaseUrl = leasesUrl + "/" + name;
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
    return "KubernetesLeaseLock["
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
    HttpRequest req = calls.request(leaseUrl, timeout).build();
    return calls.call(
        "get",
        req,
        timeout,
        null,
        resp -> {
          if (resp.code() == 404) {
            return Optional.empty();
          }
          return Optional.of(answer("get", resp, true));
        });
  }

  @Override
  public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
    String body = calls.json.asJson(LeaseModel.forCreate(namespace, name, record));
    HttpRequest req = calls.request(leasesUrl, timeout).post(Fabric8Calls.JSON, body).build();
    return calls.call("create", req, timeout, null, resp -> answer("create", resp, false));
  }

  @Override
  public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
    boolean seen = knownUid.get() != null || lastSeen.get() != null;
    return UidFirst.update(record, seen, this::get, this::put, calls.errors, timeout);
  }

  private CompletionStage<LeaseRecord> put(LeaseRecord record, Duration timeout) {
    String version = Objects.requireNonNull(record.version());
    Lease seen = lastSeen.get();
    Lease base = seen != null && version.equals(LeaseModel.version(seen)) ? seen : null;
    Lease lease = LeaseModel.forUpdate(namespace, name, record, version, base, knownUid.get());
    HttpRequest req =
        calls.request(leaseUrl, timeout).put(Fabric8Calls.JSON, calls.json.asJson(lease)).build();
    return calls.call("update", req, timeout, null, resp -> answer("update", resp, false));
  }

  @Override
  public @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
    return watchEnabled ? LeaseWatcher.start(this, listener, scheduler) : null;
  }

  @Override
  public CompletionStage<LeaseAccess> checkAccess(Duration timeout) {
    return AccessCheck.run(client, namespace, name, watchEnabled, timeout);
  }

  // ---- shared with LeaseWatcher -----------------------------------------------------------------

  Fabric8Calls calls() {
    return calls;
  }

  String leasesUrl() {
    return leasesUrl;
  }

  /** Remembers {@code lease} as the base of the next update; returns its record. */
  LeaseRecord remember(Lease lease) {
    lastSeen.set(lease);
    String uid = LeaseModel.uid(lease);
    if (uid != null) {
      knownUid.set(uid);
    }
    return LeaseModel.toRecord(lease);
  }

  /** The record of a success answer (200 or 201), or the failure it reports. */
  private LeaseRecord answer(String verb, HttpResponse<String> resp, boolean withAge) {
    int code = resp.code();
    if (code != 200 && code != 201) {
      throw calls.failure(verb, code, resp.body(), resp);
    }
    Lease lease = calls.read(verb, resp.body(), Lease.class);
    if (LeaseModel.version(lease) == null) {
      throw calls.errors.unreadable(verb, null);
    }
    LeaseRecord record = remember(lease);
    return withAge
        ? record.withWrittenAgo(
            ServerTime.writtenAgo(resp.header("Date"), LeaseModel.lastWrite(lease)))
        : record;
  }

  /**
   * Builds a {@link KubernetesLeaseLock}: the settings of {@link KubernetesLockBuilder}, with the
   * client's configured namespace (kubeconfig context) as the last default. Not thread-safe.
   */
  public static final class Builder extends KubernetesLockBuilder<Builder> {
    private final KubernetesClient client;

    private Builder(KubernetesClient client) {
      super("KubernetesLeaseLock.builder(client)");
      this.client = Objects.requireNonNull(client, "client");
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
     * @throws IllegalStateException if no namespace was given and none can be found, or the fabric8
     *     jars on the class path are of different versions
     */
    public KubernetesLeaseLock build() {
      Fabric8Versions.check();
      return new KubernetesLeaseLock(
          client, settings(client.getNamespace(), ", and the client has no namespace configured"));
    }
  }
}
