package dev.leaderelection.examples.worker;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The resource the leader protects: a ConfigMap that accepts a write only from the newest term.
 *
 * <p>Each write reads the ConfigMap, compares the writer's fencing token with the highest token
 * stored in the annotation {@value #TOKEN_ANNOTATION}, and, if it is not lower, updates the
 * ConfigMap with a compare-and-swap on its {@code resourceVersion}. A leader of an older term (one
 * that was frozen, partitioned, or whose last write was still in flight) is therefore rejected:
 * either it sees the newer token, or its update fails with a conflict because the newer leader
 * wrote in between.
 *
 * <p>Needs the verbs {@code get} and {@code update} on this ConfigMap (a rule with {@code
 * resourceNames}) and, for the first write, {@code create} on {@code configmaps} (which cannot be
 * restricted to a name).
 */
public final class FencedOutput {

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

  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  /**
   * A fenced ConfigMap.
   *
   * @param client the client to write with
   * @param namespace the ConfigMap's namespace
   * @param name the ConfigMap's name
   */
  public FencedOutput(KubernetesClient client, String namespace, String name) {
    this.client = client;
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
   * @throws KubernetesClientException if the API call fails for another reason than a conflict
   */
  public Result write(long token, String writer) {
    ConfigMap current = read();
    return write(current, token, writer);
  }

  /** {@return the ConfigMap as stored now, or null if it does not exist} */
  public @Nullable ConfigMap read() {
    return client.configMaps().inNamespace(namespace).withName(name).get();
  }

  /** Writes based on {@code current}, as read earlier (tests pass a stale one). */
  Result write(@Nullable ConfigMap current, long token, String writer) {
    if (current == null) {
      ConfigMap fresh =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(namespace)
              .addToAnnotations(TOKEN_ANNOTATION, Long.toString(token))
              .endMetadata()
              .withData(data(writer, token, 1))
              .build();
      try {
        client.configMaps().inNamespace(namespace).resource(fresh).create();
        return new Result(Outcome.WROTE, token, 1);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          return new Result(Outcome.CONFLICT, -1, 0);
        }
        throw e;
      }
    }
    long stored = storedToken(current);
    long writes = parseLong(current.getData() == null ? null : current.getData().get("writes"), 0);
    if (token < stored) {
      return new Result(Outcome.FENCED, stored, writes);
    }
    String version = current.getMetadata().getResourceVersion();
    if (version == null || version.isEmpty()) {
      throw new IllegalStateException("ConfigMap " + description() + " has no resourceVersion");
    }
    Map<String, String> annotations = new HashMap<>();
    if (current.getMetadata().getAnnotations() != null) {
      annotations.putAll(current.getMetadata().getAnnotations());
    }
    annotations.put(TOKEN_ANNOTATION, Long.toString(token));
    ConfigMap next =
        new ConfigMapBuilder(current)
            .editMetadata()
            .withResourceVersion(version) // compare-and-swap: 409 if anyone wrote since the read
            .withAnnotations(annotations)
            .endMetadata()
            .withData(data(writer, token, writes + 1))
            .build();
    try {
      client.configMaps().inNamespace(namespace).resource(next).update();
      return new Result(Outcome.WROTE, token, writes + 1);
    } catch (KubernetesClientException e) {
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
  public static long storedToken(ConfigMap cm) {
    Map<String, String> a = cm.getMetadata().getAnnotations();
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
