package dev.leaderelection.core;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LeaseLock} call failed. Backends complete their futures exceptionally with this type so
 * that the election can tell a lost race from an outage; any other exception is treated like {@link
 * Reason#OTHER}.
 *
 * <p>The message is meant for operators: it names the Lease, what was attempted, and how to fix the
 * cause where the backend knows it (for example which RBAC rule to add).
 */
public class LeaseLockException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a call failed. */
  public enum Reason {
    /** Someone else wrote first: the version was stale, or a create found the Lease existing. */
    CONFLICT,
    /** The Lease (or its namespace) does not exist. */
    NOT_FOUND,
    /** The caller is not allowed to do this (HTTP 401/403): a configuration error. */
    FORBIDDEN,
    /** The server asked to slow down (HTTP 429); see {@link #retryAfter()}. */
    THROTTLED,
    /** The call did not finish within the time the election gave it. */
    TIMEOUT,
    /** The server could not be reached or answered with a server error. */
    UNAVAILABLE,
    /**
     * The server rejected the record as invalid (HTTP 422) or returned one the backend cannot read.
     */
    INVALID,
    /** Anything else. */
    OTHER
  }

  /** Why the call failed. */
  private final Reason reason;

  /** The server's back-off hint, if it gave one. */
  private final @Nullable Duration retryAfter;

  /**
   * Creates an exception.
   *
   * @param reason why the call failed
   * @param message what failed and, where known, how to fix it
   * @param cause the underlying error, if any
   */
  public LeaseLockException(Reason reason, String message, @Nullable Throwable cause) {
    this(reason, message, cause, null);
  }

  /**
   * Creates an exception carrying the server's back-off hint.
   *
   * @param reason why the call failed
   * @param message what failed and, where known, how to fix it
   * @param cause the underlying error, if any
   * @param retryAfter how long the server asked the client to wait, if it said
   */
  public LeaseLockException(
      Reason reason, String message, @Nullable Throwable cause, @Nullable Duration retryAfter) {
    super(message, cause);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }

  /** {@return why the call failed} */
  public Reason reason() {
    return reason;
  }

  /** {@return how long the server asked the client to wait before retrying, if it said} */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** {@return whether the failure is a lost compare-and-swap race} */
  public boolean isConflict() {
    return reason == Reason.CONFLICT;
  }

  /**
   * The failure a failed stage carries: {@code error} without the {@link
   * java.util.concurrent.CompletionException} and {@link java.util.concurrent.ExecutionException}
   * wrappers that {@code join()}, {@code get()} and dependent stages add.
   *
   * @param error what a stage failed with
   * @return the innermost cause that is not such a wrapper
   */
  public static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof java.util.concurrent.CompletionException
            || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
