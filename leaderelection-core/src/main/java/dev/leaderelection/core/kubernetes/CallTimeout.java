package dev.leaderelection.core.kubernetes;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.Scheduler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Ends a backend's call when its time passes, whatever HTTP client carries it: the result fails
 * with the backend's {@code TIMEOUT} exception and the request is abandoned. For backends.
 */
public final class CallTimeout {
  private CallTimeout() {}

  /**
   * {@code answer}, or a failure with {@code timedOut} once {@code timeout} passes first.
   *
   * @param <T> the answer's type
   * @param answer the call's answer; failures are passed on unwrapped ({@link
   *     LeaseLockException#unwrap})
   * @param timeout how long the call may take
   * @param timer the election's scheduler to time it with, or {@code null} for the JDK's shared
   *     delay thread
   * @param abandon cancels the request when the time passed
   * @param timedOut the exception for a call that took too long
   * @return the result
   */
  public static <T> CompletableFuture<T> within(
      CompletableFuture<T> answer,
      Duration timeout,
      @Nullable Scheduler timer,
      Runnable abandon,
      Supplier<LeaseLockException> timedOut) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (timer != null) {
      Scheduler.Cancellable t =
          timer.schedule(() -> answer.completeExceptionally(new TimeoutException()), timeout);
      var unused = answer.whenComplete((v, e) -> t.cancel());
    } else {
      // orTimeout cancels its timer when the answer comes first
      var unused = answer.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    var unusedDone =
        answer.whenComplete(
            (value, err) -> {
              if (err == null) {
                result.complete(value);
              } else if (LeaseLockException.unwrap(err) instanceof TimeoutException) {
                abandon.run();
                result.completeExceptionally(timedOut.get());
              } else {
                result.completeExceptionally(LeaseLockException.unwrap(err));
              }
            });
    return result;
  }
}
