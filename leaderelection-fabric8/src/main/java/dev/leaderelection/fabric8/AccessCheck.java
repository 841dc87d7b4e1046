package dev.leaderelection.fabric8;

import dev.leaderelection.core.kubernetes.LeaseAccess;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@link KubernetesLeaseLock#checkAccess}: one {@code SelfSubjectAccessReview} per verb through
 * fabric8's typed API, with retries off, then a {@code SelfSubjectReview} for the user's name if
 * something is denied. The typed calls block, so they run one after another on the common pool,
 * once at start-up.
 */
final class AccessCheck {
  private AccessCheck() {}

  static CompletionStage<LeaseAccess> run(
      KubernetesClient client, String namespace, String name, boolean watch, Duration timeout) {
    KubernetesClient c =
        client.newClient(Fabric8Calls.noRetries(client, timeout)).adapt(KubernetesClient.class);
    List<String> verbs = new ArrayList<>(LeaseRbac.VERBS);
    if (watch) {
      verbs.addAll(LeaseRbac.WATCH_VERBS);
    }
    return CompletableFuture.supplyAsync(
            () -> {
              List<String> denied = new ArrayList<>();
              for (String verb : verbs) {
                if (!allowed(c, namespace, verb.equals("create") ? null : name, verb)) {
                  denied.add(verb);
                }
              }
              return new LeaseAccess(denied.isEmpty() ? null : user(c), denied);
            })
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static boolean allowed(
      KubernetesClient c, String namespace, @Nullable String name, String verb) {
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
    SelfSubjectAccessReview answer =
        c.authorization().v1().selfSubjectAccessReview().create(review);
    return answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
  }

  /** {@return the authenticated user's name, if the API server says} */
  private static @Nullable String user(KubernetesClient c) {
    try {
      SelfSubjectReview answer =
          c.authentication().v1().selfSubjectReviews().create(new SelfSubjectReview());
      return answer.getStatus() == null || answer.getStatus().getUserInfo() == null
          ? null
          : answer.getStatus().getUserInfo().getUsername();
    } catch (RuntimeException e) {
      return null; // an older API server, or not allowed: the message does without the name
    }
  }
}
