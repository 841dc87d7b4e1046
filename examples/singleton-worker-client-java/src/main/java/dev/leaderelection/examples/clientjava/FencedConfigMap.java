package dev.leaderelection.examples.clientjava;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The resource the leader protects: a ConfigMap that accepts a write only from the newest term.
 *
 * <p>Each write reads the ConfigMap, compares the writer's fencing token with the highest token
 * stored in the annotation {@value #TOKEN_ANNOTATION}, and, if it is not lower, replaces the
 * ConfigMap with a compare-and-swap on its {@code resourceVersion}. A leader of an older term is
 * therefore rejected: either it sees the newer token, or its replace fails with a conflict because
 * the newer leader wrote in between.
 *
 * <p>Needs {@code get} and {@code update} on this ConfigMap (a rule with {@code resourceNames})
 * and, for the first write, {@code create} on {@code configmaps}.
 */
public final class FencedConfigMap {

  /** The annotation holding the highest fencing token that wrote. */
  public static final String TOKEN_ANNOTATION = "leaderelection.dev/fencing-token";

  /** What a write did. */
  public enum Outcome {
    /** The write was stored. */
    WROTE,
    /** A newer term has written: this writer is fenced off and must not write again. */
    FENCED,
    /** Someone else wrote between the read and the write; nothing was stored. */
    CONFLICT
  }

  /**
   * The result of a write.
   *
   * @param outcome what happened
   * @param storedToken the highest token in the ConfigMap afterwards ({@code -1} if none)
   * @param writes the write counter after the write
   */
  public record Result(Outcome outcome, long storedToken, long writes) {}

  private final CoreV1Api api;
  private final String namespace;
  private final String name;

  /**
   * A fenced ConfigMap.
   *
   * @param client the client to write with
   * @param namespace the ConfigMap's namespace
   * @param name the ConfigMap's name
   */
  public FencedConfigMap(ApiClient client, String namespace, String name) {
    this.api = new CoreV1Api(client);
    this.namespace = namespace;
    this.name = name;
  }

  /** {@return namespace/name of the ConfigMap} */
  public String description() {
    return namespace + "/" + name;
  }

  /**
   * Writes one unit of work, if {@code token} is not older than the newest one stored.
   *
   * @param token the writer's fencing token
   * @param writer the writer's identity, stored for people to read
   * @return what happened
   * @throws ApiException if a call fails for another reason than a conflict
   */
  public Result write(long token, String writer) throws ApiException {
    V1ConfigMap current;
    try {
      current = api.readNamespacedConfigMap(name, namespace).execute();
    } catch (ApiException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      current = null;
    }
    if (current == null) {
      V1ConfigMap fresh =
          new V1ConfigMap()
              .metadata(
                  new V1ObjectMeta()
                      .name(name)
                      .namespace(namespace)
                      .putAnnotationsItem(TOKEN_ANNOTATION, Long.toString(token)))
              .data(data(writer, token, 1));
      try {
        api.createNamespacedConfigMap(namespace, fresh).execute();
        return new Result(Outcome.WROTE, token, 1);
      } catch (ApiException e) {
        if (e.getCode() == 409) {
          return new Result(Outcome.CONFLICT, -1, 0);
        }
        throw e;
      }
    }
    long stored = storedToken(current);
    Map<String, String> data = current.getData();
    long writes = parseLong(data == null ? null : data.get("writes"), 0);
    if (token < stored) {
      return new Result(Outcome.FENCED, stored, writes);
    }
    V1ObjectMeta meta = current.getMetadata();
    if (meta == null || meta.getResourceVersion() == null) {
      throw new IllegalStateException("ConfigMap " + description() + " has no resourceVersion");
    }
    // The object as read keeps its resourceVersion: the replace is a compare-and-swap (409 if
    // anyone wrote since the read).
    meta.putAnnotationsItem(TOKEN_ANNOTATION, Long.toString(token));
    current.data(data(writer, token, writes + 1));
    try {
      api.replaceNamespacedConfigMap(name, namespace, current).execute();
      return new Result(Outcome.WROTE, token, writes + 1);
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        return new Result(Outcome.CONFLICT, stored, writes);
      }
      throw e;
    }
  }

  /**
   * The highest token stored in a ConfigMap.
   *
   * @param cm the ConfigMap
   * @return the token, or {@code -1} if none is stored
   */
  public static long storedToken(V1ConfigMap cm) {
    Map<String, String> a = cm.getMetadata() == null ? null : cm.getMetadata().getAnnotations();
    return parseLong(a == null ? null : a.get(TOKEN_ANNOTATION), -1);
  }

  private static Map<String, String> data(String writer, long token, long writes) {
    Map<String, String> d = new HashMap<>();
    d.put("writer", writer);
    d.put("token", Long.toString(token));
    d.put("writes", Long.toString(writes));
    d.put("updatedAt", Instant.now().toString());
    return d;
  }

  private static long parseLong(@Nullable String s, long fallback) {
    if (s == null) {
      return fallback;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
