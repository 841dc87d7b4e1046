package dev.leaderelection.core;

import dev.leaderelection.core.LeaderElectionListener.Operation;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls to the lock: each with a timeout the election enforces itself, its outcome handed to the
 * election's loop exactly once, failures unwrapped, classified and logged (a WARN when calls start
 * failing, DEBUG while they go on failing, INFO when they succeed again).
 */
final class LockCalls {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  /** Receives the outcome of a call: exactly one of the two is non-null. */
  @FunctionalInterface
  interface Handler<T> {
    void accept(@Nullable T value, @Nullable Throwable error);
  }

  private final String name;
  private final Scheduler scheduler;
  private final Executor loop;
  private final Notifications notify;
  private boolean failing;

  LockCalls(String name, Scheduler scheduler, Executor loop, Notifications notify) {
    this.name = name;
    this.scheduler = scheduler;
    this.loop = loop;
    this.notify = notify;
  }

  /** Starts {@code action}; {@code handler} runs on the loop when it completes or times out. */
  <T> void call(
      Operation operation,
      Supplier<CompletionStage<T>> action,
      long timeoutNanos,
      Handler<T> handler) {
    CompletableFuture<T> f;
    try {
      f = action.get().toCompletableFuture();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    AtomicBoolean done = new AtomicBoolean();
    CompletableFuture<T> future = f;
    Scheduler.Cancellable timer =
        scheduler.schedule(
            () -> {
              if (done.compareAndSet(false, true)) {
                future.cancel(true);
                String what =
                    label(operation)
                        + " of "
                        + name
                        + " did not finish within "
                        + LeaderElectionConfig.format(Duration.ofNanos(timeoutNanos));
                loop.execute(
                    () ->
                        handler.accept(
                            null,
                            new LeaseLockException(LeaseLockException.Reason.TIMEOUT, what, null)));
              }
            },
            Duration.ofNanos(timeoutNanos));
    var unused =
        future.whenComplete(
            (value, error) -> {
              if (done.compareAndSet(false, true)) {
                timer.cancel();
                loop.execute(() -> handler.accept(value, error == null ? null : unwrap(error)));
              }
            });
  }

  static Throwable unwrap(Throwable error) {
    return LeaseLockException.unwrap(error);
  }

  static boolean isConflict(Throwable error) {
    return error instanceof LeaseLockException lle && lle.isConflict();
  }

  /**
   * {@return whether a write that failed with {@code error} surely did not change the Lease: the
   * server refused it (a conflict, forbidden, invalid, not found); a timeout or an outage may have
   * let it through}
   */
  static boolean surelyNotStored(Throwable error) {
    if (!(error instanceof LeaseLockException lle)) {
      return false;
    }
    return switch (lle.reason()) {
      case CONFLICT, FORBIDDEN, INVALID, NOT_FOUND -> true;
      default -> false;
    };
  }

  /** {@return the server's back-off hint carried by {@code error}, if any} */
  static @Nullable Duration retryAfter(Throwable error) {
    return error instanceof LeaseLockException lle ? lle.retryAfter().orElse(null) : null;
  }

  /** {@return the operation as logs (and metrics) name it: {@code get}, {@code create}, ...} */
  static String label(Operation operation) {
    return operation.name().toLowerCase(Locale.ROOT);
  }

  /** Logs and reports a failed call. */
  void failed(Operation operation, Throwable error) {
    if (isConflict(error)) {
      log.debug("{}: {} conflict: {}", name, label(operation), error.getMessage());
      notify.listeners(l -> l.onConflict(operation));
      return;
    }
    notify.listeners(l -> l.onError(operation, error));
    String message = error.getMessage() != null ? error.getMessage() : error.toString();
    if (!failing) {
      failing = true;
      log.warn("{}: {} failed: {}", name, label(operation), message);
    } else {
      log.debug("{}: {} failed again: {}", name, label(operation), message);
    }
  }

  /** A call succeeded. */
  void succeeded() {
    if (failing) {
      failing = false;
      log.info("{}: calls to the lock succeed again", name);
    }
  }
}
