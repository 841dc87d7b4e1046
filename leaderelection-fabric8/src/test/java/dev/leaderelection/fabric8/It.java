package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLockException;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Helpers for the integration tests. */
final class It {
  static final Duration T = Duration.ofSeconds(5);

  private It() {}

  static <V> V await(CompletionStage<V> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("call failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Reads the Lease through {@code lock}, checks that the read tells how long ago the API server
   * last wrote it, and returns the record without that age, to compare with what was written.
   */
  static java.util.Optional<dev.leaderelection.core.LeaseRecord> read(
      dev.leaderelection.core.LeaseLock lock) {
    var read = await(lock.get(T));
    read.ifPresent(
        r -> {
          if (r.writtenAgo() == null) {
            throw new AssertionError("a read Lease should carry writtenAgo: " + r);
          }
        });
    return read.map(r -> r.withWrittenAgo(null));
  }

  /** {@return {@code r} with {@code renewTime} replaced and no {@code writtenAgo}, as a renewal} */
  static dev.leaderelection.core.LeaseRecord renewedAt(
      dev.leaderelection.core.LeaseRecord r, java.time.Instant renewTime) {
    return new dev.leaderelection.core.LeaseRecord(
        r.holderIdentity(),
        r.leaseDurationSeconds(),
        r.acquireTime(),
        renewTime,
        r.leaseTransitions(),
        r.strategy(),
        r.preferredHolder(),
        r.version());
  }

  /**
   * {@return {@code leaseTransitions}, a missing or negative one read as 0 (as the election does)}
   */
  static int transitions(dev.leaderelection.core.LeaseRecord r) {
    Integer t = r.leaseTransitions();
    return t == null || t < 0 ? 0 : t;
  }

  /** {@return the spec of {@code r}: without its version and {@code writtenAgo}} */
  static dev.leaderelection.core.LeaseRecord spec(dev.leaderelection.core.LeaseRecord r) {
    return r.withVersion(null).withWrittenAgo(null);
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

  static KubernetesClient client(Config config) {
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  static Config withUrl(Config config, String url) {
    return new ConfigBuilder(config).withMasterUrl(url).build();
  }

  static String leaseUrl(KubernetesClient c, String ns, String name) {
    return collectionUrl(c, ns) + "/" + name;
  }

  static String collectionUrl(KubernetesClient c, String ns) {
    String base = c.getMasterUrl().toString().replaceAll("/+$", "");
    return base + "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases";
  }

  /** Sends a raw request with the client's credentials; returns the answer's body. */
  static String raw(KubernetesClient c, String method, String url, String body, int expected) {
    HttpClient http = c.getHttpClient();
    HttpRequest.Builder b =
        http.newHttpRequestBuilder().uri(url).header("Accept", "application/json");
    switch (method) {
      case "GET" -> {}
      case "POST" -> b.post("application/json", body);
      case "PUT" -> b.put("application/json", body);
      case "DELETE" -> b.delete("application/json", body);
      default -> throw new IllegalArgumentException(method);
    }
    try {
      HttpResponse<String> r = http.sendAsync(b.build(), String.class).get(30, TimeUnit.SECONDS);
      assertThat(r.code()).as("%s %s answered %s", method, url, r.body()).isEqualTo(expected);
      return r.body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Creates a Lease from raw JSON (the spec object) with the admin client. */
  static String createRaw(KubernetesClient admin, String ns, String name, String specJson) {
    return raw(
        admin,
        "POST",
        collectionUrl(admin, ns),
        "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\""
            + name
            + "\",\"labels\":{\"owner\":\"hand\"}},\"spec\":"
            + specJson
            + "}",
        201);
  }

  static String getRaw(KubernetesClient admin, String ns, String name) {
    return raw(admin, "GET", leaseUrl(admin, ns, name), "", 200);
  }

  static void deleteRaw(KubernetesClient admin, String ns, String name) {
    raw(admin, "DELETE", leaseUrl(admin, ns, name), "{}", 200);
  }

  /** A Role with these verbs on leases, bound to the ServiceAccount. */
  static void grant(KubernetesClient admin, String ns, String sa, String... verbs) {
    String role = "leases-" + sa;
    admin
        .rbac()
        .roles()
        .inNamespace(ns)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName(role)
                .endMetadata()
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups("coordination.k8s.io")
                        .withResources("leases")
                        .withVerbs(verbs)
                        .build())
                .build())
        .create();
    admin
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(role)
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName(role)
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(sa)
                .withNamespace(ns)
                .endSubject()
                .build())
        .create();
  }

  /**
   * Sends SIGTERM without {@link Process#destroy()}, which also closes our end of the pipes and so
   * loses what the process prints while it shuts down.
   */
  static void sigterm(Process p) throws java.io.IOException, InterruptedException {
    new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).inheritIO().start().waitFor();
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

  /** Hands every line {@code p} prints on stdout to {@code onLine}, on a daemon thread. */
  static void readLines(Process p, java.util.function.Consumer<String> onLine) {
    Thread reader =
        new Thread(
            () -> {
              try (java.io.BufferedReader r =
                  new java.io.BufferedReader(
                      new java.io.InputStreamReader(
                          p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  onLine.accept(line);
                }
              } catch (java.io.IOException e) {
                // the process ended
              }
            });
    reader.setDaemon(true);
    reader.start();
  }
}
