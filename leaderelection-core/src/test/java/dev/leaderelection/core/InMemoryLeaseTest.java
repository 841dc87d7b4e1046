package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** What {@link InMemoryLease} documents: compare-and-swap, versions, the watch. */
class InMemoryLeaseTest {
  private static final Duration T = Duration.ofSeconds(1);
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private final InMemoryLease lease = new InMemoryLease("x");

  private static LeaseRecord held(String holder, @Nullable String version) {
    return new LeaseRecord(holder, 15, NOW, NOW, 0, null, null, version);
  }

  private static <T> T done(CompletionStage<T> stage) {
    return stage.toCompletableFuture().getNow(null);
  }

  private static Reason failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof LeaseLockException lle) {
        return lle.reason();
      }
      throw e;
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void writesAreCompareAndSwapAndCallsCompleteBeforeTheyReturn() {
    LeaseLock a = lease.lock("a");
    LeaseLock b = lease.lock("b");
    assertThat(a.description()).isEqualTo("in-memory lease x");
    assertThat(done(a.get(T))).isEmpty();
    assertThat(failure(a.update(held("a", "1"), T))).isEqualTo(Reason.NOT_FOUND);

    LeaseRecord created = done(a.create(held("a", null), T));
    assertThat(created.version()).isEqualTo("1");
    assertThat(created.withVersion(null)).isEqualTo(held("a", null));
    assertThat(failure(b.create(held("b", null), T))).isEqualTo(Reason.CONFLICT);

    LeaseRecord taken = done(b.update(held("b", created.version()), T));
    assertThat(taken.version()).isEqualTo("2");
    assertThat(failure(a.update(held("a", created.version()), T)))
        .as("a write on a stale version")
        .isEqualTo(Reason.CONFLICT);
    assertThat(done(a.get(T))).contains(taken);
  }

  @Test
  void versionsGrowAcrossOverwritesDeletesAndRecreation() {
    LeaseLock a = lease.lock("a");
    LeaseRecord first = done(a.create(held("a", null), T));
    LeaseRecord edited = lease.overwrite(held("hand", "999"));
    assertThat(Long.parseLong(edited.version())).isGreaterThan(Long.parseLong(first.version()));
    lease.delete();
    assertThat(lease.current()).isEmpty();
    LeaseRecord recreated = done(a.create(held("a", null), T));
    assertThat(Long.parseLong(recreated.version())).isGreaterThan(Long.parseLong(edited.version()));
  }

  @Test
  void ofConcurrentWritesOnOneVersionExactlyOneSucceeds() throws Exception {
    LeaseRecord base = done(lease.lock("setup").create(held("setup", null), T));
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        LeaseLock lock = lease.lock("w" + i);
        LeaseRecord mine = held(lock.identity(), base.version());
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return !lock.update(mine, T).toCompletableFuture().isCompletedExceptionally();
                }));
      }
      go.countDown();
      int won = 0;
      for (Future<Boolean> r : results) {
        won += r.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(won).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aWatchDeliversTheCurrentRecordThenEveryChangeOnTheWritingThread() {
    LeaseLock a = lease.lock("a");
    LeaseRecord created = done(a.create(held("a", null), T));
    List<String> seen = new ArrayList<>();
    LeaseLock.Watch w =
        Objects.requireNonNull(
            a.watch(
                new LeaseLock.ChangeListener() {
                  @Override
                  public void leaseChanged(@Nullable LeaseRecord current) {
                    seen.add(
                        (current == null ? "deleted" : "v" + current.version())
                            + " on "
                            + Thread.currentThread().getName());
                  }

                  @Override
                  public void watchHealthChanged(boolean healthy) {
                    seen.add("healthy=" + healthy);
                  }
                },
                new ManualScheduler()));
    String me = Thread.currentThread().getName();
    assertThat(seen).containsExactly("v" + created.version() + " on " + me, "healthy=true");

    lease.overwrite(held("hand", null));
    lease.delete();
    assertThat(seen).endsWith("v2 on " + me, "deleted on " + me);

    w.close();
    lease.overwrite(held("hand", null));
    assertThat(seen).hasSize(4);
    assertThat(lease.current().map(LeaseRecord::version)).isEqualTo(Optional.of("3"));
  }
}
