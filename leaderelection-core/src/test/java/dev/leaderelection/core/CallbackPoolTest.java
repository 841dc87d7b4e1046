package dev.leaderelection.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leaderelection.core.testing.ManualScheduler;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The callback pool's growth is driven by the manual clock only: without advancing it the pool
 * never starts a second thread, so these tests are deterministic (they wait for real threads to run
 * tasks, never for time to pass).
 */
class CallbackPoolTest {
  private final ManualScheduler clock = new ManualScheduler();
  private final CallbackPool pool =
      new CallbackPool(clock, clock, Duration.ofMillis(10), Duration.ofSeconds(60));

  @Test
  void aBurstOfShortCallbacksRunsOnOneThread() throws Exception {
    int n = 100;
    CountDownLatch done = new CountDownLatch(n);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < n; i++) {
      pool.execute(
          () -> {
            threads.add(Thread.currentThread().getName());
            done.countDown();
          });
    }
    assertTrue(done.await(10, TimeUnit.SECONDS), "all 100 tasks ran");
    assertEquals(1, threads.size(), "one thread ran them: " + threads);
    assertEquals(1, pool.threads());
    clock.runPending(); // the growth check finds the queue empty: no thread is added
    assertEquals(1, pool.threads());
  }

  @Test
  void aBlockedCallbackAddsAThreadOnlyAfterGrowAfter() throws Exception {
    CountDownLatch blockedStarted = new CountDownLatch(1);
    CountDownLatch unblock = new CountDownLatch(1);
    pool.execute(
        () -> {
          blockedStarted.countDown();
          awaitQuietly(unblock);
        });
    assertTrue(blockedStarted.await(10, TimeUnit.SECONDS));

    AtomicBoolean secondRan = new AtomicBoolean();
    CountDownLatch secondDone = new CountDownLatch(1);
    pool.execute(
        () -> {
          secondRan.set(true);
          secondDone.countDown();
        });
    clock.advance(Duration.ofMillis(9));
    assertEquals(1, pool.threads(), "no new thread before the task waited growAfter");
    assertFalse(secondRan.get(), "the only thread is blocked, so the second task waits");

    clock.advance(Duration.ofMillis(1));
    assertEquals(2, pool.threads(), "a second thread started once the task waited growAfter");
    assertTrue(secondDone.await(10, TimeUnit.SECONDS), "the waiting task ran on the new thread");
    unblock.countDown();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
