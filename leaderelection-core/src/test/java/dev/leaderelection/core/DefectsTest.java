package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leaderelection.core.testing.ManualScheduler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The defects a careful user found in the first engine, as behaviour: each test failed on it.
 * Deterministic: a manual clock and scheduler, no sleeps.
 */
class DefectsTest {
  private static final Duration RETRY = Duration.ofSeconds(2);
  private static final Duration LEASE = Duration.ofSeconds(15);

  private final ManualScheduler clock = new ManualScheduler();
  private final InMemoryLease lease = new InMemoryLease("defects");
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream originalErr = System.err;

  @BeforeEach
  void captureLogs() {
    originalErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreLogs() {
    System.setErr(originalErr);
  }

  /** {@return the stored {@code leaseTransitions}; the engine always writes one} */
  private int storedTransitions() {
    return java.util.Objects.requireNonNull(lease.current().orElseThrow().leaseTransitions());
  }

  private String logs() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private LeaderElector.Builder elector(LeaseLock lock, Executor callbacks) {
    return LeaderElector.builder(lock)
        .scheduler(clock)
        .timeSource(clock)
        .callbackExecutor(callbacks)
        .random(() -> 0.0);
  }

  // 1. Two processes configured with one identity -----------------------------------------------

  @Test
  void twoProcessesWithOneIdentityNeverBothLeadAndTokensNeverGoBackwards() {
    List<String> reported = new ArrayList<>();
    LeaderElectionListener duplicates =
        new LeaderElectionListener() {
          @Override
          public void onDuplicateIdentity(String identity) {
            reported.add(identity);
          }
        };
    LeaderElector a = elector(lease.lock("shared"), clock).listener(duplicates).build();
    LeaderElector b = elector(lease.lock("shared"), clock).listener(duplicates).build();
    a.start();
    clock.runPending();
    b.start();
    long lastToken = a.currentLeadership().orElseThrow().fencingToken();
    int lastTransitions = storedTransitions();
    for (int i = 0; i < 600; i++) {
      clock.advance(Duration.ofMillis(100));
      assertThat(a.isLeader() && b.isLeader()).as("both lead at %d00 ms", i).isFalse();
      for (LeaderElector e : List.of(a, b)) {
        long token = e.currentLeadership().map(Leadership::fencingToken).orElse(lastToken);
        assertThat(token).isGreaterThanOrEqualTo(lastToken);
        lastToken = token;
      }
      int transitions = storedTransitions();
      assertThat(transitions)
          .as("leaseTransitions never go back")
          .isGreaterThanOrEqualTo(lastTransitions);
      lastTransitions = transitions;
    }
    assertThat(a.isLeader()).as("the first keeps leading").isTrue();
    assertThat(reported).as("the second reports the shared identity").contains("shared");
    assertThat(logs())
        .contains("ERROR")
        .contains("Another process uses this elector's identity 'shared'")
        .contains("Give every process its own identity");
  }

  @Test
  void aProcessSharingAnIdentityTakesTheLeaseOnceTheOtherStopsRenewing() {
    LeaderElector a = elector(lease.lock("shared"), clock).build();
    a.start();
    clock.runPending();
    LeaderElector b = elector(lease.lock("shared"), clock).build();
    b.start();
    clock.advance(Duration.ofSeconds(5));
    a.closeAsync(); // releases: b takes it at its next poll
    clock.advance(Duration.ofSeconds(3));
    assertThat(b.isLeader()).isTrue();
  }

  // 2. Nothing after close() but the paired stop ------------------------------------------------

  @Test
  void noLeaderChangeCallbackRunsAfterCloseEvenWhenAStartOverranCloseTimeout() {
    List<Runnable> pool = new ArrayList<>();
    List<String> callbacks = new ArrayList<>();
    AtomicInteger closedAt = new AtomicInteger(-1);
    LeaderElector[] self = new LeaderElector[1];
    LeaderCallbacks cb =
        new LeaderCallbacks() {
          @Override
          public void onStartedLeading(Leadership leadership) {
            callbacks.add("start");
            // While this start runs (overrunning closeTimeout), someone takes the Lease and the
            // application closes the elector.
            lease.overwrite(
                new LeaseRecord("intruder", 15, clock.now(), clock.now(), 9, null, null, null));
            clock.advance(RETRY); // the renewal conflicts: the term is lost, the new leader seen
            CompletionStage<Void> closing = self[0].closeAsync();
            clock.advance(LEASE); // closeTimeout (renewDeadline) passes
            assertThat(closing.toCompletableFuture()).isCompleted();
            closedAt.set(callbacks.size());
          }

          @Override
          public void onStoppedLeading(Leadership leadership) {
            callbacks.add("stop");
          }

          @Override
          public void onNewLeader(String identity) {
            callbacks.add("leader:" + identity);
          }
        };
    self[0] = elector(lease.lock("a"), pool::add).callbacks(cb).build();
    self[0].start();
    clock.runPending();
    while (!pool.isEmpty()) {
      pool.remove(0).run();
    }
    assertThat(closedAt.get()).isPositive();
    assertThat(callbacks.subList(closedAt.get(), callbacks.size()))
        .as("after close() returned, only the stop paired with the running start")
        .containsExactly("stop");
  }

  // 3. leaseTransitions at Integer.MAX_VALUE ----------------------------------------------------

  @Test
  void aLeaseWithTransitionsAtIntegerMaxValueCanBeTakenAndCountsOnFromZero() {
    lease.overwrite(
        new LeaseRecord("", 1, clock.now(), clock.now(), Integer.MAX_VALUE, null, null, null));
    LeaderElector e = elector(lease.lock("a"), clock).build();
    e.start();
    clock.runPending();
    assertThat(e.isLeader()).isTrue();
    assertThat(lease.current().orElseThrow().leaseTransitions()).isZero();
  }

  // 4. Documented warnings on every path ---------------------------------------------------------

  @Test
  void aRenewalThatReturnsAfterAFreezeLogsTheStepDown() {
    AnswerLater lock = new AnswerLater(lease.lock("a"));
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, clock).listener(r.listener).build();
    e.start();
    clock.runPending();
    Leadership first = e.currentLeadership().orElseThrow();
    lock.holdNext = true;
    clock.advance(RETRY); // the renewal is sent, its answer held back
    clock.freeze(Duration.ofSeconds(11)); // the process is frozen past the deadline
    lock.release(); // the answer arrives first thing after the freeze
    clock.runPending();
    assertThat(r.ended).first().isSameAs(first);
    assertThat(first.endReason()).contains(Leadership.EndReason.RENEW_DEADLINE_EXCEEDED);
    assertThat(logs()).contains("WARN").contains("a stops leading").contains("renewDeadline");
  }

  @Test
  void anAcquisitionThatReturnsAfterAFreezeLogsThatItDoesNotLead() {
    AnswerLater lock = new AnswerLater(lease.lock("a"));
    lock.holdWrites = true;
    LeaderElector e = elector(lock, clock).build();
    e.start();
    clock.runPending(); // get, then the create is held
    clock.freeze(Duration.ofSeconds(11));
    lock.release();
    clock.runPending();
    assertThat(logs()).contains("WARN").contains("came back after renewDeadline");
    assertThat(e.isLeader()).isFalse();
  }

  @Test
  void aReleaseThatCannotFinishWithinRenewDeadlineIsLogged() {
    ScriptedLock lock = new ScriptedLock(lease.lock("a"), clock, false);
    LeaderElector e = elector(lock, clock).build();
    e.start();
    clock.runPending();
    lock.always = ScriptedLock.Outcome.HANG; // the API server freezes during close
    CompletionStage<Void> closing = e.closeAsync();
    clock.advance(Duration.ofSeconds(30));
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(logs()).contains("WARN").contains("could not release");
  }

  // 5. A deleted Lease and the fencing token -----------------------------------------------------

  @Test
  void aLeaseDeletedAndRecreatedByAFreshCandidateGivesItAHigherTokenThanTheDeposedLeader() {
    lease.overwrite(new LeaseRecord("", 1, clock.now(), clock.now(), 5, null, null, null));
    LeaderElector a = elector(lease.lock("a"), clock).build();
    a.start();
    clock.runPending();
    Leadership first = a.currentLeadership().orElseThrow();
    clock.advance(Duration.ofMillis(500));
    lease.delete(); // kubectl delete lease
    LeaderElector c = elector(lease.lock("c"), clock).build(); // never saw a holder
    c.start();
    clock.runPending();
    Leadership second = c.currentLeadership().orElseThrow();
    assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
    clock.advance(RETRY);
    assertThat(a.isLeader()).as("the deposed leader stops at its next renewal").isFalse();
    assertThat(first.validUntilNanos() - second.validFromNanos())
        .as("the documented overlap bound: retryPeriod")
        .isLessThanOrEqualTo(RETRY.toNanos());
  }

  // 6. Server-controlled values are bounded -----------------------------------------------------

  @Test
  void aRetryAfterOfAnHourIsClampedToLeaseDuration() {
    Throttling lock = new Throttling(lease.lock("a"), Duration.ofHours(1));
    LeaderElector e = elector(lock, clock).build();
    e.start();
    clock.runPending();
    clock.advance(LEASE);
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void aRetryAfterTooLargeForNanosecondsDoesNotStopTheElector() {
    Throttling lock = new Throttling(lease.lock("a"), Duration.ofSeconds(99_999_999_999L));
    LeaderElector e = elector(lock, clock).build();
    e.start();
    clock.runPending();
    clock.advance(LEASE);
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void aHolderIdentityWithNewlinesCannotForgeLogLinesAndIsCutShort() {
    String forged = "evil\nINFO fake line\u0007" + "x".repeat(100_000);
    LeaderElector e = elector(lease.lock("a"), clock).build();
    e.start();
    clock.runPending();
    LeaseRecord current = lease.current().orElseThrow();
    lease.overwrite(
        new LeaseRecord(forged, 15, clock.now(), clock.now(), 1, null, null, current.version()));
    clock.advance(RETRY); // the leader's renewal finds the Lease taken and logs who holds it
    String logs = logs();
    assertThat(logs).contains("a lost leadership").contains("held by 'evil\\u000aINFO fake line");
    assertThat(logs).doesNotContain("\nINFO fake line").doesNotContain("x".repeat(200));
    assertThat(LeaseIdentity.printable(forged))
        .startsWith("'evil\\u000aINFO fake line\\u0007")
        .endsWith("(99892 more characters)")
        .hasSizeLessThan(200);
  }

  @Test
  void theOwnIdentityIsValidatedOnceWithAClearError() {
    assertThatThrownBy(() -> LeaderElector.builder(lease.lock("pod\uD800")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lone surrogate U+D800 at index 3");
    assertThatThrownBy(() -> LeaderElector.builder(lease.lock("pod\n1")).build())
        .hasMessageContaining("control character U+000A");
    assertThatThrownBy(() -> LeaderElector.builder(lease.lock("x".repeat(513))).build())
        .hasMessageContaining("513 characters long, more than 512");
    assertThatThrownBy(() -> LeaderElector.builder(lease.lock(" pod")).build())
        .hasMessageContaining("leading or trailing whitespace");
    assertThat(LeaderElector.builder(lease.lock("worker-7d9f_3fa2c1b0 \uD83D\uDE00")).build())
        .isNotNull();
  }

  // 7. A watch that has not delivered, and renewals in lock-step ---------------------------------

  @Test
  void afterAFailedReadACandidateWithAWatchRetriesAfterRetryPeriod() {
    ScriptedLock lock = new ScriptedLock(lease.lock("a"), clock, true);
    lock.script.add(ScriptedLock.Outcome.FAIL);
    LeaderElector e = elector(lock, clock).build();
    e.start();
    clock.runPending();
    assertThat(e.isLeader()).isFalse();
    clock.advance(RETRY);
    assertThat(e.isLeader()).as("the Lease is absent: taken at the next try").isTrue();
  }

  @Test
  void aWatchThatHasNotDeliveredDoesNotStopTheCandidateFromPolling() {
    lease.overwrite(new LeaseRecord("other", 15, clock.now(), clock.now(), 1, null, null, null));
    Silent lock = new Silent(lease.lock("a"));
    LeaderElector e = elector(lock, clock).build();
    e.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(3));
    lease.overwrite(new LeaseRecord("", 1, clock.now(), clock.now(), 1, null, null, null));
    clock.advance(Duration.ofMillis(4500)); // the next two polls, not the observed expiry (15 s)
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void aWatchReopenedAfterATermIsNotTrustedBeforeItDelivers() {
    // The first watch delivers; every later one is silent (a stream that never sends anything).
    LeaseLock inner = lease.lock("b");
    AtomicInteger watches = new AtomicInteger();
    Delegating lock =
        new Delegating(inner) {
          @Override
          public @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
            return watches.incrementAndGet() == 1 ? inner.watch(listener, scheduler) : () -> {};
          }
        };
    LeaderElector a = elector(lease.lock("a"), clock).build();
    a.start();
    clock.runPending();
    LeaderElector b = elector(lock, clock).build();
    b.start();
    clock.runPending(); // b follows, its first watch delivering
    a.closeAsync();
    clock.runPending();
    assertThat(b.isLeader()).as("the release was pushed").isTrue();
    LeaseRecord current = lease.current().orElseThrow();
    lease.overwrite(
        new LeaseRecord("other", 15, clock.now(), clock.now(), 9, null, null, current.version()));
    clock.advance(RETRY); // b's renewal finds "other": b follows again, with a silent watch
    assertThat(b.isLeader()).isFalse();
    assertThat(watches.get()).isEqualTo(2);
    clock.advance(Duration.ofSeconds(1));
    lease.overwrite(new LeaseRecord("", 1, clock.now(), clock.now(), 9, null, null, null));
    clock.advance(Duration.ofMillis(4500)); // polls, as without a watch; expiry would be 15 s
    assertThat(b.isLeader()).isTrue();
  }

  @Test
  void manyElectorsThatAcquireTogetherDoNotRenewInLockStep() {
    Random rnd = new Random(42);
    List<Long> firstRenewals = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      InMemoryLease own = new InMemoryLease("lease-" + i);
      ScriptedLock lock = new ScriptedLock(own.lock("a"), clock, false);
      LeaderElector.builder(lock)
          .scheduler(clock)
          .timeSource(clock)
          .callbackExecutor(clock)
          .random(rnd::nextDouble)
          .build()
          .start();
      firstRenewals.add(-1L);
      int index = i;
      lock.beforeWrite =
          () -> {
            if (lock.count("update") == 1 && firstRenewals.get(index) < 0) {
              firstRenewals.set(index, clock.nanoTime());
            }
          };
    }
    clock.advance(RETRY.plusMillis(1));
    long min = firstRenewals.stream().mapToLong(Long::longValue).min().orElseThrow();
    long max = firstRenewals.stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(min).isPositive();
    assertThat(max - min)
        .as("first renewals spread over at least a third of retryPeriod")
        .isGreaterThan(RETRY.toNanos() / 3);
    assertThat(max).as("none later than retryPeriod").isLessThanOrEqualTo(RETRY.toNanos());
  }

  // --- locks for the scenarios -----------------------------------------------------------------

  /** Holds back the answer of the next call (or every write) until {@link #release()}. */
  private static final class AnswerLater extends Delegating {
    boolean holdNext;
    boolean holdWrites;
    final List<Runnable> held = new ArrayList<>();

    AnswerLater(LeaseLock delegate) {
      super(delegate);
    }

    @Override
    <T> CompletionStage<T> around(boolean write, Supplier<CompletionStage<T>> call) {
      if (!holdNext && !(holdWrites && write)) {
        return call.get();
      }
      holdNext = false;
      CompletableFuture<T> later = new CompletableFuture<>();
      CompletionStage<T> answer = call.get();
      held.add(() -> answer.whenComplete((v, e) -> later.complete(v)));
      return later;
    }

    void release() {
      held.forEach(Runnable::run);
      held.clear();
    }
  }

  /** The first read is refused with a Retry-After. */
  private static final class Throttling extends Delegating {
    private final Duration retryAfter;
    private boolean throttled;

    Throttling(LeaseLock delegate, Duration retryAfter) {
      super(delegate);
      this.retryAfter = retryAfter;
    }

    @Override
    <T> CompletionStage<T> around(boolean write, Supplier<CompletionStage<T>> call) {
      if (throttled) {
        return call.get();
      }
      throttled = true;
      return CompletableFuture.failedFuture(
          new LeaseLockException(
              LeaseLockException.Reason.THROTTLED, "429 Too Many Requests", null, retryAfter));
    }
  }

  /** A lock whose watch opens but never delivers anything (a watch on a silent stream). */
  private static final class Silent extends Delegating {
    Silent(LeaseLock delegate) {
      super(delegate);
    }

    @Override
    public Watch watch(ChangeListener listener, Scheduler scheduler) {
      return () -> {};
    }
  }

  private abstract static class Delegating implements LeaseLock {
    private final LeaseLock delegate;

    Delegating(LeaseLock delegate) {
      this.delegate = delegate;
    }

    <T> CompletionStage<T> around(boolean write, Supplier<CompletionStage<T>> call) {
      return call.get();
    }

    @Override
    public String identity() {
      return delegate.identity();
    }

    @Override
    public String description() {
      return delegate.description();
    }

    @Override
    public CompletionStage<java.util.Optional<LeaseRecord>> get(Duration timeout) {
      return around(false, () -> delegate.get(timeout));
    }

    @Override
    public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
      return around(true, () -> delegate.create(record, timeout));
    }

    @Override
    public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
      return around(true, () -> delegate.update(record, timeout));
    }
  }
}
