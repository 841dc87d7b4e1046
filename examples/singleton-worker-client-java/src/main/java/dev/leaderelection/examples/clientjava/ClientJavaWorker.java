package dev.leaderelection.examples.clientjava;

import dev.leaderelection.clientjava.ClientJavaLeaseLock;
import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.core.LeaseLockException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The singleton worker on the official Kubernetes Java client: the leader writes to the ConfigMap
 * {@code worker-output} every {@code WORK_INTERVAL}, fenced with its fencing token ({@link
 * FencedConfigMap}); the others stand by and take over when it goes away. On SIGTERM it stops the
 * work and releases the Lease, so the next replica takes over at once.
 *
 * <p>One {@link ApiClient} ({@link Config#defaultClient()}: the kubeconfig, or in a pod the
 * ServiceAccount) serves both the Lease ({@link ClientJavaLeaseLock}) and the application's own
 * calls. An {@code ApiClient} carries no namespace: the Lease and the ConfigMap live in {@code
 * POD_NAMESPACE}, else the pod's own namespace; out of a cluster {@code POD_NAMESPACE} must be set.
 *
 * <p>Every role change is written to standard output as one line {@code EVENT t=<nanoTime>
 * id=<identity> event=<name> key=value…}; the library's own log goes to standard error.
 *
 * <p>Environment: {@code LEASE_NAME} ({@code singleton-worker}), {@code POD_NAMESPACE}, {@code
 * POD_NAME} (first part of the identity), {@code OUTPUT_CONFIGMAP} ({@code worker-output}), {@code
 * LEASE_DURATION}, {@code RENEW_DEADLINE}, {@code RETRY_PERIOD} (15s, 10s, 2s), {@code
 * CLOSE_TIMEOUT} (5s), {@code WORK_INTERVAL} (1s); durations as {@code 15s}, {@code 500ms}, {@code
 * 1m} or {@code PT15S}.
 */
public final class ClientJavaWorker implements AutoCloseable {

  private final LeaderElector elector;
  private final Consumer<String> events;
  private final String identity;

  private ClientJavaWorker(LeaderElector elector, String identity, Consumer<String> events) {
    this.elector = elector;
    this.identity = identity;
    this.events = events;
  }

  /**
   * Runs the worker until the JVM is asked to stop (SIGTERM, SIGINT); then releases the Lease.
   *
   * @param args ignored; configuration comes from the environment
   * @throws IOException if no client can be configured (no kubeconfig, not in a pod)
   * @throws InterruptedException if the main thread is interrupted
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    Settings settings;
    try {
      settings = Settings.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("singleton-worker-client-java: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    ApiClient client = Config.defaultClient();
    String identity = LeaseIdentity.defaultIdentity();
    ClientJavaWorker worker;
    try {
      worker = start(settings, client, identity, stdout());
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("singleton-worker-client-java: " + e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: end the term, wait for the work loop to stop, release the Lease.
                  worker.close();
                  stopped.countDown();
                },
                "singleton-worker-shutdown"));
    // The election runs on daemon threads; keep the JVM alive until it is told to stop.
    stopped.await();
  }

  /**
   * Starts competing for the Lease.
   *
   * @param settings the settings
   * @param client the client, for the Lease and the ConfigMap
   * @param identity this candidate's unique identity
   * @param out where the EVENT lines go
   * @return the running worker; {@link #close()} it to stop and release
   * @throws IllegalArgumentException if the Lease name or namespace is invalid
   * @throws IllegalStateException if no namespace is configured and none can be found
   */
  public static ClientJavaWorker start(
      Settings settings, ApiClient client, String identity, Consumer<String> out) {
    ClientJavaLeaseLock.Builder lockBuilder =
        ClientJavaLeaseLock.builder(client)
            .name(settings.leaseName())
            .identity(identity)
            .namespaceSetting("POD_NAMESPACE");
    if (settings.namespace() != null) {
      lockBuilder.namespace(settings.namespace());
    }
    ClientJavaLeaseLock lock = lockBuilder.build();
    FencedConfigMap output =
        new FencedConfigMap(client, lock.namespace(), settings.outputConfigMap());
    ClientJavaWorker worker =
        new ClientJavaWorker(
            LeaderElector.builder(lock)
                .config(settings.election())
                .callbacks(new Work(output, identity, settings.workInterval(), out))
                .listener(new ErrorEvents(identity, out))
                .build(),
            identity,
            out);
    event(
        out,
        identity,
        "starting",
        "lease",
        lock.namespace() + "/" + lock.name(),
        "output",
        output.description());
    worker.elector.start();
    return worker;
  }

  /** {@return the elector, for tests and for health checks} */
  public LeaderElector elector() {
    return elector;
  }

  /**
   * Stops: ends the current term, waits for the work loop to stop, releases the Lease. Idempotent.
   */
  @Override
  public void close() {
    event(events, identity, "closing");
    elector.close();
    event(events, identity, "closed");
  }

  /**
   * Writes one line {@code EVENT t=<nanoTime> id=<identity> event=<event> key=value…}; a {@code
   * msg} value, always last, runs to the end of the line.
   */
  static void event(
      Consumer<String> out, String identity, String event, @Nullable Object... fields) {
    StringBuilder sb =
        new StringBuilder("EVENT t=")
            .append(System.nanoTime())
            .append(" id=")
            .append(identity)
            .append(" event=")
            .append(event);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      String key = String.valueOf(fields[i]);
      String value = String.valueOf(fields[i + 1]);
      sb.append(' ').append(key).append('=');
      sb.append(key.equals("msg") ? value.replace('\n', ' ') : value.replaceAll("\\s", "_"));
    }
    out.accept(sb.toString());
  }

  private static Consumer<String> stdout() {
    PrintStream s = System.out;
    return line -> {
      synchronized (s) {
        s.println(line);
        s.flush();
      }
    };
  }

  /** The leader's work, run on the elector's callback thread for as long as the term lasts. */
  private static final class Work implements LeaderCallbacks {
    private final FencedConfigMap output;
    private final String identity;
    private final Duration interval;
    private final Consumer<String> out;

    Work(FencedConfigMap output, String identity, Duration interval, Consumer<String> out) {
      this.output = output;
      this.identity = identity;
      this.interval = interval;
      this.out = out;
    }

    @Override
    public void onStartedLeading(Leadership leadership) {
      long token = leadership.fencingToken();
      event(out, identity, "started-leading", "token", token);
      CompletableFuture<Leadership.EndReason> ended = leadership.ended().toCompletableFuture();
      // Blocking here is fine: it delays only this elector's later callbacks, never renewals,
      // and close() waits for it to return before it releases the Lease.
      while (leadership.isValid()) {
        try {
          FencedConfigMap.Result r = output.write(token, identity);
          switch (r.outcome()) {
            case WROTE -> event(out, identity, "wrote", "token", token, "writes", r.writes());
            case CONFLICT -> event(out, identity, "write-conflict", "token", token);
            case FENCED -> {
              // A newer term has written: this process is a stale leader. Never write again in
              // this term; the elector notices the loss at its next renewal.
              event(out, identity, "fenced", "token", token, "stored", r.storedToken());
              await(ended, null);
              return;
            }
          }
        } catch (ApiException e) {
          event(out, identity, "write-failed", "token", token, "code", e.getCode());
        }
        if (await(ended, interval)) {
          return;
        }
      }
    }

    /** Waits until the term ends, at most {@code timeout} (null: no limit); true if it ended. */
    private static boolean await(
        CompletableFuture<Leadership.EndReason> ended, @Nullable Duration timeout) {
      try {
        if (timeout == null) {
          ended.get();
        } else {
          ended.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        return true;
      } catch (TimeoutException e) {
        return false;
      } catch (ExecutionException e) {
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }

    @Override
    public void onStoppedLeading(Leadership leadership) {
      event(
          out,
          identity,
          "stopped-leading",
          "token",
          leadership.fencingToken(),
          "reason",
          leadership.endReason().map(r -> r.name().toLowerCase(Locale.ROOT)).orElse("unknown"));
    }

    @Override
    public void onNewLeader(String leader) {
      event(out, identity, "new-leader", "leader", leader);
    }
  }

  /** Writes the election's errors as events, once per streak of the same kind. */
  private static final class ErrorEvents implements LeaderElectionListener {
    private final String identity;
    private final Consumer<String> out;
    private @Nullable String lastError;

    ErrorEvents(String identity, Consumer<String> out) {
      this.identity = identity;
      this.out = out;
    }

    @Override
    public void onRenewed(Duration latency) {
      lastError = null;
    }

    @Override
    public void onLeadershipAcquired(Leadership leadership) {
      lastError = null;
    }

    @Override
    public void onError(Operation operation, Throwable error) {
      String reason =
          error instanceof LeaseLockException e
              ? e.reason().name().toLowerCase(Locale.ROOT)
              : error.getClass().getSimpleName();
      String op = operation.name().toLowerCase(Locale.ROOT);
      String key = op + "/" + reason;
      if (Objects.equals(key, lastError)) {
        return;
      }
      lastError = key;
      event(out, identity, "error", "op", op, "reason", reason, "msg", error.getMessage());
    }
  }

  /**
   * The worker's settings, from environment variables (see the class comment).
   *
   * @param leaseName the Lease's name
   * @param namespace the namespace, or null for the pod's own
   * @param outputConfigMap the ConfigMap the leader writes to
   * @param election the election's configuration
   * @param workInterval how often the leader writes
   */
  public record Settings(
      String leaseName,
      @Nullable String namespace,
      String outputConfigMap,
      LeaderElectionConfig election,
      Duration workInterval) {

    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m)");

    /**
     * Reads the settings.
     *
     * @param env the environment, such as {@link System#getenv()}
     * @return the settings
     * @throws IllegalArgumentException if a value is malformed; the message names the variable
     */
    public static Settings fromEnv(Map<String, String> env) {
      LeaderElectionConfig election =
          LeaderElectionConfig.builder()
              .leaseDuration(
                  duration(env, "LEASE_DURATION", LeaderElectionConfig.DEFAULT_LEASE_DURATION))
              .renewDeadline(
                  duration(env, "RENEW_DEADLINE", LeaderElectionConfig.DEFAULT_RENEW_DEADLINE))
              .retryPeriod(duration(env, "RETRY_PERIOD", LeaderElectionConfig.DEFAULT_RETRY_PERIOD))
              .closeTimeout(duration(env, "CLOSE_TIMEOUT", Duration.ofSeconds(5)))
              .build();
      return new Settings(
          string(env, "LEASE_NAME", "singleton-worker"),
          blankToNull(env.get("POD_NAMESPACE")),
          string(env, "OUTPUT_CONFIGMAP", "worker-output"),
          election,
          duration(env, "WORK_INTERVAL", Duration.ofSeconds(1)));
    }

    private static String string(Map<String, String> env, String name, String fallback) {
      String v = blankToNull(env.get(name));
      return v == null ? fallback : v;
    }

    private static @Nullable String blankToNull(@Nullable String s) {
      return s == null || s.isBlank() ? null : s.trim();
    }

    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
      String v = blankToNull(env.get(name));
      if (v == null) {
        return fallback;
      }
      Matcher m = SHORT.matcher(v.toLowerCase(Locale.ROOT));
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofSeconds(n);
        };
      }
      try {
        return Duration.parse(v);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            name + ": not a duration: '" + v + "' (write 15s, 500ms, 1m or PT15S)", e);
      }
    }
  }
}
