package dev.leaderelection.examples.worker;

import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElectionListener.Operation;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseIdentity;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A service of which one replica at a time does the work: the leader writes to the ConfigMap {@code
 * worker-output} every {@code WORK_INTERVAL}, fenced with its fencing token; the others stand by
 * and take over when it goes away. On SIGTERM it stops the work and releases the Lease, so the next
 * replica takes over at once.
 *
 * <p>Every role change is written to standard output as an {@link EventLog} line; the library's own
 * log goes to standard error. Configuration: {@link WorkerSettings}; credentials: the kubeconfig
 * ({@code KUBECONFIG} or {@code ~/.kube/config}) or, in a pod, the ServiceAccount.
 */
public final class SingletonWorker implements AutoCloseable {

  private final LeaderElector elector;
  private final EventLog events;

  private SingletonWorker(LeaderElector elector, EventLog events) {
    this.elector = elector;
    this.events = events;
  }

  /**
   * Runs the worker until the JVM is asked to stop (SIGTERM, SIGINT); then releases the Lease.
   *
   * @param args ignored; configuration comes from the environment ({@link WorkerSettings})
   * @throws InterruptedException if the main thread is interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    WorkerSettings settings;
    try {
      settings = WorkerSettings.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("singleton-worker: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    String identity = LeaseIdentity.defaultIdentity();
    SingletonWorker worker;
    try {
      worker = start(settings, client, identity, EventLog.stdout(identity));
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("singleton-worker: " + e.getMessage());
      client.close();
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
                  client.close();
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
   * @param client the client (the worker does not close it)
   * @param identity this candidate's unique identity
   * @param events where role changes are written
   * @return the running worker; {@link #close()} it to stop and release
   * @throws IllegalArgumentException if the Lease name or namespace is invalid
   * @throws IllegalStateException if no namespace is configured and none can be found
   */
  public static SingletonWorker start(
      WorkerSettings settings, KubernetesClient client, String identity, EventLog events) {
    KubernetesLeaseLock.Builder lockBuilder =
        KubernetesLeaseLock.builder(client).name(settings.leaseName()).identity(identity);
    String ns = settings.namespace();
    if (ns != null) {
      lockBuilder.namespace(ns);
    }
    KubernetesLeaseLock lock = lockBuilder.build();
    FencedOutput output = new FencedOutput(client, lock.namespace(), settings.outputConfigMap());
    Work work = new Work(output, identity, settings.workInterval(), events);
    LeaderElector elector =
        LeaderElector.builder(lock)
            .config(settings.election())
            .callbacks(work)
            .listener(new EventListener(events, settings.logRenewals()))
            .build();
    events.event(
        "starting",
        "lease",
        lock.namespace() + "/" + lock.name(),
        "output",
        output.description(),
        "leaseDuration",
        settings.election().leaseDuration(),
        "renewDeadline",
        settings.election().renewDeadline(),
        "retryPeriod",
        settings.election().retryPeriod());
    elector.start();
    return new SingletonWorker(elector, events);
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
    events.event("closing");
    elector.close();
    events.event("closed");
  }

  /** The leader's work, run on the elector's callback thread for as long as the term lasts. */
  private static final class Work implements LeaderCallbacks {
    private final FencedOutput output;
    private final String identity;
    private final Duration interval;
    private final EventLog events;

    Work(FencedOutput output, String identity, Duration interval, EventLog events) {
      this.output = output;
      this.identity = identity;
      this.interval = interval;
      this.events = events;
    }

    @Override
    public void onStartedLeading(Leadership leadership) {
      long token = leadership.fencingToken();
      events.event("started-leading", "token", token);
      CompletableFuture<Leadership.EndReason> ended = leadership.ended().toCompletableFuture();
      // Blocking here is fine: it delays only this elector's later callbacks, never renewals,
      // and close() waits for it to return before it releases the Lease.
      while (leadership.isValid()) {
        try {
          FencedOutput.Result r = output.write(token, identity);
          switch (r.outcome()) {
            case WROTE -> events.event("wrote", "token", token, "writes", r.writes());
            case CONFLICT -> events.event("write-conflict", "token", token);
            case FENCED -> {
              // A newer term has written: this process is a stale leader. Never write again
              // in this term; the elector notices the loss at its next renewal.
              events.event("fenced", "token", token, "stored", r.storedToken());
              await(ended, null);
              return;
            }
          }
        } catch (KubernetesClientException e) {
          events.event("write-failed", "token", token, "msg", e.getMessage());
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
      events.event(
          "stopped-leading",
          "token",
          leadership.fencingToken(),
          "reason",
          leadership.endReason().map(r -> r.name().toLowerCase(Locale.ROOT)).orElse("unknown"));
    }

    @Override
    public void onNewLeader(String leader) {
      events.event("new-leader", "leader", leader);
    }
  }

  /** Writes renewals and errors as events (errors once per streak of the same kind). */
  private static final class EventListener implements LeaderElectionListener {
    private final EventLog events;
    private final boolean logRenewals;
    private @Nullable String lastError;

    EventListener(EventLog events, boolean logRenewals) {
      this.events = events;
      this.logRenewals = logRenewals;
    }

    @Override
    public void onRenewed(Duration latency) {
      lastError = null;
      if (logRenewals) {
        events.event("renewed", "latencyMs", latency.toMillis());
      }
    }

    @Override
    public void onLeadershipAcquired(Leadership leadership) {
      lastError = null;
    }

    @Override
    public void onNewLeader(String identity) {
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
      events.event("error", "op", op, "reason", reason, "msg", error.getMessage());
    }
  }
}
