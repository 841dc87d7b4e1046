package dev.leaderelection.testkit;

import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.kubernetes.MicroTime;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Leases written as another tool writes them: hand-made JSON sent with a plain client, not through
 * any backend's model. For the contract tests of Kubernetes backends.
 */
public final class RawLeases {
  private RawLeases() {}

  /**
   * Creates the Lease {@code namespace/name} with exactly the fields of {@code record} that are set
   * (times as {@code MicroTime}).
   *
   * @param admin a client allowed to create Leases
   * @param namespace the namespace
   * @param name the Lease's name
   * @param record the spec to write; its version is ignored
   */
  public static void create(
      KubernetesClient admin, String namespace, String name, LeaseRecord record) {
    StringBuilder spec = new StringBuilder("{");
    field(spec, "holderIdentity", json(record.holderIdentity()));
    field(spec, "leaseDurationSeconds", record.leaseDurationSeconds());
    field(spec, "acquireTime", json(time(record.acquireTime())));
    field(spec, "renewTime", json(time(record.renewTime())));
    field(spec, "leaseTransitions", record.leaseTransitions());
    field(spec, "strategy", json(record.strategy()));
    field(spec, "preferredHolder", json(record.preferredHolder()));
    spec.append('}');
    send(
        admin,
        "POST",
        collection(admin, namespace),
        "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\""
            + name
            + "\"},\"spec\":"
            + spec
            + "}",
        201);
  }

  /**
   * Deletes the Lease {@code namespace/name}.
   *
   * @param admin a client allowed to delete Leases
   * @param namespace the namespace
   * @param name the Lease's name
   */
  public static void delete(KubernetesClient admin, String namespace, String name) {
    send(admin, "DELETE", collection(admin, namespace) + "/" + name, "{}", 200);
  }

  private static String collection(KubernetesClient c, String namespace) {
    String base = c.getMasterUrl().toString().replaceAll("/+$", "");
    return base + "/apis/coordination.k8s.io/v1/namespaces/" + namespace + "/leases";
  }

  private static void send(KubernetesClient c, String method, String url, String body, int code) {
    HttpClient http = c.getHttpClient();
    HttpRequest.Builder b =
        http.newHttpRequestBuilder().uri(url).header("Accept", "application/json");
    if (method.equals("POST")) {
      b.post("application/json", body);
    } else {
      b.delete("application/json", body);
    }
    HttpResponse<String> r;
    try {
      r = http.sendAsync(b.build(), String.class).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + url + " failed", e);
    }
    if (r.code() != code) {
      throw new IllegalStateException(
          method + " " + url + " answered " + r.code() + ": " + r.body());
    }
  }

  private static void field(StringBuilder b, String name, @Nullable Object value) {
    if (value != null) {
      b.append(b.length() > 1 ? "," : "").append('"').append(name).append("\":").append(value);
    }
  }

  private static @Nullable String time(@Nullable Instant t) {
    return t == null ? null : MicroTime.format(t);
  }

  private static @Nullable String json(@Nullable String s) {
    return s == null ? null : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
