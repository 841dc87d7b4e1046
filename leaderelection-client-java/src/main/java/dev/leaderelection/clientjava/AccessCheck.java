package dev.leaderelection.clientjava;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.leaderelection.core.kubernetes.LeaseAccess;
import dev.leaderelection.core.kubernetes.LeaseRbac;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * {@link ClientJavaLeaseLock#checkAccess}: one {@code SelfSubjectAccessReview} per verb, all at
 * once, then a {@code SelfSubjectReview} for the user's name if something is denied; each request
 * made once, through the lock's own calls (no retries, the given timeout, no thread waiting).
 */
final class AccessCheck {
  private static final String REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
  private static final String WHO_AM_I = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

  private AccessCheck() {}

  static CompletionStage<LeaseAccess> run(
      OkHttpCalls calls, String namespace, String name, boolean watch, Duration timeout) {
    List<String> verbs = new ArrayList<>(LeaseRbac.VERBS);
    if (watch) {
      verbs.addAll(LeaseRbac.WATCH_VERBS);
    }
    List<CompletableFuture<Boolean>> answers = new ArrayList<>();
    for (String verb : verbs) {
      answers.add(allowed(calls, namespace, verb.equals("create") ? null : name, verb, timeout));
    }
    return CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0]))
        .thenCompose(
            v -> {
              List<String> denied = new ArrayList<>();
              for (int i = 0; i < verbs.size(); i++) {
                if (!answers.get(i).join()) {
                  denied.add(verbs.get(i));
                }
              }
              if (denied.isEmpty()) {
                return CompletableFuture.completedFuture(new LeaseAccess(null, denied));
              }
              return user(calls, timeout).thenApply(u -> new LeaseAccess(u.orElse(null), denied));
            });
  }

  private static CompletableFuture<Boolean> allowed(
      OkHttpCalls calls, String namespace, @Nullable String name, String verb, Duration timeout) {
    JsonObject attributes = new JsonObject();
    attributes.addProperty("group", "coordination.k8s.io");
    attributes.addProperty("resource", "leases");
    attributes.addProperty("verb", verb);
    attributes.addProperty("namespace", namespace);
    if (name != null) {
      attributes.addProperty("name", name);
    }
    JsonObject spec = new JsonObject();
    spec.add("resourceAttributes", attributes);
    JsonObject review = new JsonObject();
    review.addProperty("apiVersion", "authorization.k8s.io/v1");
    review.addProperty("kind", "SelfSubjectAccessReview");
    review.add("spec", spec);
    return calls.call(
        "access review",
        calls.request(REVIEWS, List.of(), "POST", review),
        timeout,
        null,
        a -> {
          if (a.code() != 200 && a.code() != 201) {
            throw calls.failure("access review", a.code(), a.body(), a.retryAfter());
          }
          JsonObject status = calls.read("access review", a.body()).getAsJsonObject("status");
          return status != null
              && status.get("allowed") instanceof JsonPrimitive p
              && p.isBoolean()
              && p.getAsBoolean();
        });
  }

  /** {@return the authenticated user's name, if the API server says} */
  private static CompletableFuture<Optional<String>> user(OkHttpCalls calls, Duration timeout) {
    JsonObject review = new JsonObject();
    review.addProperty("apiVersion", "authentication.k8s.io/v1");
    review.addProperty("kind", "SelfSubjectReview");
    CompletableFuture<Optional<String>> name =
        calls.call(
            "self review",
            calls.request(WHO_AM_I, List.of(), "POST", review),
            timeout,
            null,
            a -> {
              if (a.code() != 200 && a.code() != 201) {
                return Optional.empty();
              }
              JsonObject status = calls.read("self review", a.body()).getAsJsonObject("status");
              JsonObject info = status == null ? null : status.getAsJsonObject("userInfo");
              return info != null && info.get("username") instanceof JsonPrimitive p
                  ? Optional.of(p.getAsString())
                  : Optional.empty();
            });
    // an older API server, or not allowed: the message does without the name
    return name.exceptionally(e -> Optional.empty());
  }
}
