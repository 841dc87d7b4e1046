package dev.leaderelection.spring;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import dev.leaderelection.spring.LeaderElectionProperties.RbacCheck;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up RBAC self-check: asks the API server, with one SelfSubjectAccessReview per verb,
 * whether this process may {@code get}, {@code create}, {@code update}, {@code list} and {@code
 * watch} the election's Lease. A missing {@code get}, {@code create} or {@code update} stops the
 * start-up (or only warns, as configured) with a message naming the verbs, the user and the Role
 * rule to add; a missing {@code list} or {@code watch} only warns, since the election then polls.
 *
 * <p>If the API server cannot be asked (unreachable, slow), it logs a warning and lets the start-up
 * go on: the election itself retries, and a transient outage should not stop a rollout. Each check
 * takes at most {@link #TIMEOUT}, with no client-side retries.
 */
final class RbacSelfCheck implements ManagedLeaderElections.StartupCheck {
  private static final Logger log = LoggerFactory.getLogger(RbacSelfCheck.class);

  static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final List<String> REQUIRED = List.of("get", "create", "update");
  private static final List<String> FOR_WATCH = List.of("list", "watch");
  private static final String JSON = "application/json";

  private final KubernetesClient client;
  private final RbacCheck mode;

  RbacSelfCheck(KubernetesClient client, RbacCheck mode) {
    this.client = client;
    this.mode = mode;
  }

  @Override
  public void check(LeaderElection election, LeaseLock lock) {
    if (mode == RbacCheck.OFF || !(lock instanceof KubernetesLeaseLock k)) {
      return;
    }
    String namespace = k.namespace();
    String name = k.name();
    RequestConfig noRetries =
        new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
            .withRequestRetryBackoffLimit(0)
            .build();
    HttpClient http = client.getHttpClient().newBuilder().tag(noRetries).build();
    KubernetesSerialization json = client.getKubernetesSerialization();
    String master = client.getMasterUrl().toString().replaceAll("/+$", "");

    Map<String, CompletableFuture<Boolean>> answers = new LinkedHashMap<>();
    for (String verb : concat(REQUIRED, FOR_WATCH)) {
      answers.put(
          verb, allowed(http, json, master, verb, namespace, verb.equals("create") ? null : name));
    }
    List<String> denied = new ArrayList<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    for (Map.Entry<String, CompletableFuture<Boolean>> a : answers.entrySet()) {
      try {
        long left = Math.max(1, deadline - System.nanoTime());
        if (!a.getValue().get(left, TimeUnit.NANOSECONDS)) {
          denied.add(a.getKey());
        }
      } catch (ExecutionException | TimeoutException e) {
        answers.values().forEach(f -> f.cancel(true));
        Throwable cause =
            e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        log.warn(
            "Leader election '{}': could not check the RBAC permissions on Lease {}/{} ({}); starting"
                + " anyway",
            election.name(),
            namespace,
            name,
            cause.toString());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (denied.isEmpty()) {
      log.debug(
          "Leader election '{}': RBAC allows {} on Lease {}/{}",
          election.name(),
          answers.keySet(),
          namespace,
          name);
      return;
    }
    String user = user(http, json, master);
    List<String> missingRequired = denied.stream().filter(REQUIRED::contains).toList();
    String description =
        "Leader election '"
            + election.name()
            + "' "
            + (missingRequired.isEmpty() ? "can work, but only by polling" : "cannot work")
            + ": "
            + (user != null ? "user '" + user + "'" : "this process")
            + " may not "
            + String.join(", ", denied)
            + " leases (coordination.k8s.io) in namespace '"
            + namespace
            + "' (Lease '"
            + name
            + "')"
            + (missingRequired.isEmpty()
                ? "; without list and watch it notices a released Lease only at its next poll."
                : ".");
    String action = action(namespace, user, missingRequired.isEmpty());
    if (!missingRequired.isEmpty() && mode == RbacCheck.FAIL) {
      throw new LeaderElectionStartupException(description, action);
    }
    log.warn("{} {}", description, action);
  }

  private static String action(String namespace, @Nullable String user, boolean onlyWatch) {
    String nl = System.lineSeparator();
    StringBuilder sb = new StringBuilder();
    sb.append("Add this rule to a Role in namespace '")
        .append(namespace)
        .append("' bound to ")
        .append(user != null ? "'" + user + "'" : "the application's ServiceAccount")
        .append(':')
        .append(nl)
        .append("  - apiGroups: [\"coordination.k8s.io\"]")
        .append(nl)
        .append("    resources: [\"leases\"]")
        .append(nl)
        .append("    verbs: [\"get\", \"create\", \"update\", \"list\", \"watch\"]")
        .append(nl);
    String sa = serviceAccount(user);
    if (sa != null) {
      sb.append("For example: kubectl -n ")
          .append(namespace)
          .append(" create role leader-election --verb=get,create,update,list,watch")
          .append(" --resource=leases.coordination.k8s.io && kubectl -n ")
          .append(namespace)
          .append(" create rolebinding leader-election --role=leader-election --serviceaccount=")
          .append(sa)
          .append(nl);
    }
    sb.append(
        onlyWatch
            ? "Or set leaderelection.rbac-check=off to silence this check."
            : "Or set leaderelection.rbac-check=warn to start anyway (the election keeps failing"
                + " until the rule exists), or leaderelection.rbac-check=off.");
    return sb.toString();
  }

  /** {@return {@code ns:name} if the user is a ServiceAccount} */
  private static @Nullable String serviceAccount(@Nullable String user) {
    String prefix = "system:serviceaccount:";
    if (user == null || !user.startsWith(prefix)) {
      return null;
    }
    String rest = user.substring(prefix.length());
    return rest.contains(":") ? rest : null;
  }

  private static CompletableFuture<Boolean> allowed(
      HttpClient http,
      KubernetesSerialization json,
      String master,
      String verb,
      String namespace,
      @Nullable String name) {
    SelfSubjectAccessReview review =
        new SelfSubjectAccessReviewBuilder()
            .withNewSpec()
            .withNewResourceAttributes()
            .withGroup("coordination.k8s.io")
            .withResource("leases")
            .withVerb(verb)
            .withNamespace(namespace)
            .withName(name)
            .endResourceAttributes()
            .endSpec()
            .build();
    HttpRequest req =
        http.newHttpRequestBuilder()
            .uri(master + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            .header("Accept", JSON)
            .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .post(JSON, json.asJson(review))
            .build();
    return http.sendAsync(req, String.class)
        .thenApply(
            resp -> {
              if (resp.code() != 201 && resp.code() != 200) {
                throw new IllegalStateException(
                    "SelfSubjectAccessReview answered HTTP " + resp.code() + ": " + body(resp));
              }
              SelfSubjectAccessReview answer =
                  json.unmarshal(body(resp), SelfSubjectAccessReview.class);
              return answer.getStatus() != null
                  && Boolean.TRUE.equals(answer.getStatus().getAllowed());
            });
  }

  /** {@return the authenticated user's name, from a SelfSubjectReview, if the server says} */
  private static @Nullable String user(
      HttpClient http, KubernetesSerialization json, String master) {
    SelfSubjectReview review = new SelfSubjectReview();
    review.setApiVersion("authentication.k8s.io/v1");
    review.setKind("SelfSubjectReview");
    HttpRequest req =
        http.newHttpRequestBuilder()
            .uri(master + "/apis/authentication.k8s.io/v1/selfsubjectreviews")
            .header("Accept", JSON)
            .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .post(JSON, json.asJson(review))
            .build();
    try {
      HttpResponse<String> resp =
          http.sendAsync(req, String.class).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (resp.code() != 201 && resp.code() != 200) {
        return null;
      }
      SelfSubjectReview answer = json.unmarshal(body(resp), SelfSubjectReview.class);
      if (answer.getStatus() == null || answer.getStatus().getUserInfo() == null) {
        return null;
      }
      return answer.getStatus().getUserInfo().getUsername();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      return null;
    }
  }

  private static String body(HttpResponse<String> resp) {
    String b = resp.body();
    return b == null ? "" : b;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
  }
}
