package dev.leaderelection.core.kubernetes;

import dev.leaderelection.core.LeaseRecord;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The update of a lock that has not seen the Lease yet. The API server creates a Lease on update
 * ({@code PUT}) when none exists, whatever resourceVersion the update carries; only the Lease's uid
 * as a precondition makes it fail instead. A lock learns the uid from each Lease it reads or
 * writes, so the election's updates always carry one; an update by a lock that never saw the Lease
 * reads it first (one {@code GET}), so that it cannot re-create a deleted one. For backends.
 */
public final class UidFirst {
  private UidFirst() {}

  /**
   * A Kubernetes backend's {@code update}: refused without a version ({@link
   * LeaseErrors#noVersion()}, no request); sent at once by a lock that has seen the Lease; else the
   * Lease is read first, and updated only if it still has the record's version, failing as the API
   * server would if it is gone ({@code NOT_FOUND}) or changed ({@code CONFLICT}). All calls
   * together take at most {@code timeout}.
   *
   * @param record the record to store, carrying the version it is based on
   * @param seen whether the lock has read or written the Lease (so knows its uid)
   * @param get the lock's read, which learns the uid
   * @param put the lock's update, which sends it
   * @param errors the lock's error wording
   * @param timeout how long the calls may take together
   * @return the stored record
   */
  public static CompletionStage<LeaseRecord> update(
      LeaseRecord record,
      boolean seen,
      Function<Duration, CompletionStage<Optional<LeaseRecord>>> get,
      BiFunction<LeaseRecord, Duration, CompletionStage<LeaseRecord>> put,
      LeaseErrors errors,
      Duration timeout) {
    String version = record.version();
    if (version == null || version.isEmpty()) {
      return CompletableFuture.failedFuture(errors.noVersion());
    }
    if (seen) {
      return put.apply(record, timeout);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    return get.apply(timeout)
        .thenCompose(
            current -> {
              if (current.isEmpty()) {
                return CompletableFuture.failedFuture(
                    errors.fromStatus("update", 404, null, null, null, null));
              }
              if (!version.equals(current.get().version())) {
                return CompletableFuture.failedFuture(
                    errors.fromStatus("update", 409, null, null, null, null));
              }
              Duration left = Duration.ofNanos(deadline - System.nanoTime());
              if (left.isNegative() || left.isZero()) {
                return CompletableFuture.failedFuture(errors.timeout("update", timeout));
              }
              return put.apply(record, left);
            });
  }
}
