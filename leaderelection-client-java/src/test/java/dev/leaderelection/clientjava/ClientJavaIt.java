package dev.leaderelection.clientjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.testkit.TestCluster;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Helpers for the integration tests of the client-java backend. */
final class ClientJavaIt {
  static final Duration T = Duration.ofSeconds(5);

  private ClientJavaIt() {}

  /** An {@link ApiClient} for {@code url} with a bearer token, as an application builds one. */
  static ApiClient apiClient(String url, String token) {
    return new ClientBuilder()
        .setBasePath(url)
        .setVerifyingSsl(false)
        .setAuthentication(new AccessTokenAuthentication(token))
        .build();
  }

  /** An {@link ApiClient} with the cluster's admin identity. */
  static ApiClient admin(TestCluster cluster) {
    return apiClient(
        cluster.apiServerUrl(), Objects.requireNonNull(cluster.adminConfig().getOauthToken()));
  }

  /** An {@link ApiClient} as a ServiceAccount (created if absent; no rights of its own). */
  static ApiClient serviceAccount(TestCluster cluster, String ns, String sa) {
    return apiClient(
        cluster.apiServerUrl(),
        Objects.requireNonNull(cluster.serviceAccountConfig(ns, sa).getOauthToken()));
  }

  static <V> V await(CompletionStage<V> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("call failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static LeaseLockException failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(LeaseLockException.class);
      return (LeaseLockException) Objects.requireNonNull(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected the call to fail");
  }

  /** Polls {@code cond} until it holds, failing with {@code what} after {@code max}. */
  static void waitFor(String what, Duration max, java.util.function.BooleanSupplier cond)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + max + " waiting for " + what);
      }
      Thread.sleep(10);
    }
  }
}
