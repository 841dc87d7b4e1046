package dev.leaderelection.examples.springworker;

import dev.leaderelection.core.Leadership;
import dev.leaderelection.spring.LeaderElection;
import dev.leaderelection.spring.LeaderOnly;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The leader-only job: every {@code worker.interval} the leader writes the ConfigMap {@code
 * worker.output-configmap}, fenced with its fencing token. The write compares the token with the
 * highest one stored in the annotation {@value #TOKEN_ANNOTATION} and updates the ConfigMap with a
 * compare-and-swap on its {@code resourceVersion}, so a leader of an older term can never overwrite
 * a newer one, even if its run was already going when its term ended.
 */
@Component
public class FencedReportJob {

  /** The annotation holding the highest fencing token that wrote. */
  public static final String TOKEN_ANNOTATION = "leaderelection.dev/fencing-token";

  private static final Logger log = LoggerFactory.getLogger(FencedReportJob.class);

  private final LeaderElection election;
  private final ObjectProvider<KubernetesClient> client;
  private final String configMap;

  FencedReportJob(
      LeaderElection election,
      ObjectProvider<KubernetesClient> client, // none in local mode (leaderelection.mode=local)
      @Value("${worker.output-configmap:worker-output}") String configMap) {
    this.election = election;
    this.client = client;
    this.configMap = configMap;
  }

  /** One unit of leader-only work. */
  @Scheduled(fixedDelayString = "${worker.interval:1s}")
  @LeaderOnly
  public void writeReport() {
    // The term may have ended between the scheduler's check and now: take the token of the
    // current term, and let the fenced write reject us if a newer term has written.
    Optional<Leadership> term = election.currentLeadership();
    Optional<String> namespace = election.namespace();
    KubernetesClient k8s = client.getIfAvailable();
    if (term.isEmpty() || namespace.isEmpty() || k8s == null) {
      log.debug("not writing: not leading any more, or local mode (no cluster)");
      return;
    }
    long token = term.get().fencingToken();
    try {
      write(k8s, namespace.get(), token);
    } catch (KubernetesClientException e) {
      log.warn("EVENT event=write-failed token={} msg={}", token, e.getMessage());
    }
  }

  private void write(KubernetesClient client, String namespace, long token) {
    ConfigMap current = client.configMaps().inNamespace(namespace).withName(configMap).get();
    if (current == null) {
      ConfigMap fresh =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(configMap)
              .withNamespace(namespace)
              .addToAnnotations(TOKEN_ANNOTATION, Long.toString(token))
              .endMetadata()
              .withData(data(token, 1))
              .build();
      try {
        client.configMaps().inNamespace(namespace).resource(fresh).create();
        log.info("EVENT event=wrote token={} writes=1", token);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        log.info("EVENT event=write-conflict token={}", token);
      }
      return;
    }
    Map<String, String> annotations =
        current.getMetadata().getAnnotations() == null
            ? new HashMap<>()
            : new HashMap<>(current.getMetadata().getAnnotations());
    long stored = parse(annotations.get(TOKEN_ANNOTATION), -1);
    if (token < stored) {
      log.warn("EVENT event=fenced token={} stored={}", token, stored);
      return;
    }
    long writes = parse(current.getData() == null ? null : current.getData().get("writes"), 0) + 1;
    annotations.put(TOKEN_ANNOTATION, Long.toString(token));
    ConfigMap next =
        new ConfigMapBuilder(current)
            .editMetadata()
            .withAnnotations(annotations) // keeps the resourceVersion read: compare-and-swap
            .endMetadata()
            .withData(data(token, writes))
            .build();
    try {
      client.configMaps().inNamespace(namespace).resource(next).update();
      log.debug("EVENT event=wrote token={} writes={}", token, writes);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      log.info("EVENT event=write-conflict token={}", token);
    }
  }

  private Map<String, String> data(long token, long writes) {
    Map<String, String> d = new HashMap<>();
    d.put("writer", election.identity());
    d.put("token", Long.toString(token));
    d.put("writes", Long.toString(writes));
    d.put("updatedAt", Instant.now().toString());
    return d;
  }

  private static long parse(@Nullable String s, long fallback) {
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
