package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leaderelection.core.LeaderElectionListener.Operation;
import dev.leaderelection.core.Leadership.EndReason;
import dev.leaderelection.core.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** Deterministic tests of the election loop: manual clock and scheduler, no sleeps. */
class LeaderElectorTest {
  private static final Duration LEASE = Duration.ofSeconds(15);
  private static final Duration RENEW = Duration.ofSeconds(10);
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final ManualScheduler clock = new ManualScheduler();
  private final InMemoryLease lease = new InMemoryLease("test");
  private final List<LeaderElector> electors = new ArrayList<>();

  private ScriptedLock lock(String id, boolean watch) {
    return new ScriptedLock(lease.lock(id), clock, watch);
  }

  private LeaderElector elector(ScriptedLock lock, Recorder recorder) {
    return elector(lock, recorder, LeaderElectionConfig.defaults(), clock);
  }

  private LeaderElector elector(
      ScriptedLock lock, Recorder recorder, LeaderElectionConfig config, Executor callbacks) {
    LeaderElector e =
        LeaderElector.builder(lock)
            .config(config)
            .callbacks(recorder)
            .listener(recorder.listener)
            .scheduler(clock)
            .timeSource(clock)
            .callbackExecutor(callbacks)
            .random(() -> 0.0)
            .build();
    electors.add(e);
    return e;
  }

  private LeaseRecord foreign(String holder, Integer seconds, int transitions) {
    Instant t = clock.now();
    return new LeaseRecord(holder, seconds, t, t, transitions, null, null, null);
  }

  /** {@return {@code r} renewed at {@code renewTime}, as another holder's renewal writes it} */
  private static LeaseRecord renewedAt(LeaseRecord r, Instant renewTime) {
    return new LeaseRecord(
        r.holderIdentity(),
        r.leaseDurationSeconds(),
        r.acquireTime(),
        renewTime,
        r.leaseTransitions(),
        r.strategy(),
        r.preferredHolder(),
        r.version());
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  // --- acquisition ------------------------------------------------------------------------------

  @Test
  void createsTheLeaseWhenItDoesNotExistAndLeadsAtOnce() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();

    assertThat(e.isLeader()).isTrue();
    assertThat(lock.operations()).containsExactly("get", "create");
    LeaseRecord stored = lease.current().orElseThrow();
    assertThat(stored.holderIdentity()).isEqualTo("a");
    assertThat(stored.leaseDurationSeconds()).isEqualTo(15);
    assertThat(stored.leaseTransitions()).isZero();
    assertThat(stored.acquireTime()).isEqualTo(clock.now());
    assertThat(stored.renewTime()).isEqualTo(clock.now());
    assertThat(r.callbacks).containsExactly("leader:a", "start:1");
  }

  @Test
  void leaderMakesOneUpdateAndNoReadPerRetryPeriod() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    lock.clear();

    clock.advance(Duration.ofSeconds(20));

    assertThat(lock.operations()).hasSize(10).containsOnly("update");
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void withAWatchTheLeaderStillWritesOncePerPeriodAndNeverEchoesItsOwnWrites() {
    ScriptedLock lock = lock("a", true);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(20));
    assertThat(lock.operations()).startsWith("get", "create").hasSize(12);
    assertThat(lock.operations().subList(2, 12)).containsOnly("update");
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void followerMakesOneGetPerJitteredRetryPeriodAndNoWrite() {
    lease.overwrite(foreign("other", 15, 0));
    ScriptedLock lock = lock("b", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    // keep the other holder alive: it renews every 2 s
    for (int i = 0; i < 5; i++) {
      clock.advance(RETRY);
      lease.overwrite(foreign("other", 15, 0));
    }
    // start + one GET per 2 s (jitter drawn as 0 here)
    assertThat(lock.operations()).containsOnly("get").hasSize(6);
    assertThat(e.isLeader()).isFalse();
  }

  @Test
  void takesOverOnlyAfterLeaseDurationAsObservedLocallyNotFromRemoteRenewTime() {
    // The record's renewTime is an hour old by this clock: a wall-clock elector would take it at
    // once.
    Instant old = clock.now().minusSeconds(3600);
    lease.overwrite(new LeaseRecord("other", 15, old, old, 4, null, null, null));
    ScriptedLock lock = lock("b", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();

    clock.advance(LEASE.minus(ms(1)));
    assertThat(e.isLeader()).isFalse();
    assertThat(lock.count("update")).isZero();

    clock.advance(ms(1));
    assertThat(e.isLeader()).isTrue();
    LeaseRecord stored = lease.current().orElseThrow();
    assertThat(stored.holderIdentity()).isEqualTo("b");
    assertThat(stored.leaseTransitions()).isEqualTo(5);
    assertThat(e.currentLeadership().orElseThrow().fencingToken())
        .isEqualTo(Long.parseLong(stored.version()));
  }

  @Test
  void remoteRenewTimeInTheFutureDoesNotDelayTakeover() {
    Instant future = clock.now().plusSeconds(3600);
    lease.overwrite(new LeaseRecord("other", 15, future, future, 0, null, null, null));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();
    clock.advance(LEASE);
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void expiryIsJudgedWithTheRecordsOwnLeaseDuration() {
    lease.overwrite(foreign("other", 30, 0));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();

    clock.advance(LEASE.plusSeconds(5));
    assertThat(e.isLeader()).as("config says 15 s but the record says 30 s").isFalse();
    clock.advance(Duration.ofSeconds(10));
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void everyObservedChangeRestartsTheWait() {
    lease.overwrite(foreign("other", 15, 0));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(10));
    lease.overwrite(renewedAt(foreign("other", 15, 0), clock.now().plusMillis(1)));
    clock.advance(Duration.ofSeconds(10)); // seen changed at ~t=10..12
    assertThat(e.isLeader()).isFalse();
    clock.advance(Duration.ofSeconds(10));
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void anEmptyHolderIsFreeAtOnce() {
    lease.overwrite(foreign("", 15, 7));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();
    assertThat(e.isLeader()).isTrue();
    assertThat(lease.current().orElseThrow().leaseTransitions()).isEqualTo(8);
  }

  @Test
  void aLeaseLeftWithEmptyHolderAndOneSecondIsTakenAtOnce() {
    // fabric8 #6020: other tools leave holder "" with leaseDurationSeconds 1
    lease.overwrite(new LeaseRecord("", 1, null, null, 2, null, null, null));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();
    assertThat(e.isLeader()).isTrue();
  }

  @Test
  void strategyAndPreferredHolderArePreservedOnTakeover() {
    lease.overwrite(new LeaseRecord("", 1, null, null, 0, "OldestEmulationVersion", "x", null));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();
    LeaseRecord stored = lease.current().orElseThrow();
    assertThat(stored.strategy()).isEqualTo("OldestEmulationVersion");
    assertThat(stored.preferredHolder()).isEqualTo("x");
  }

  // --- the step-down bound
  // ------------------------------------------------------------------------

  @Test
  void stepsDownAtLastRenewalStartPlusRenewDeadlineWhileTheCallHangs() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();
    clock.advance(RETRY); // renewal at t=2 succeeds
    long lastRenewalStart = lock.calls.get(lock.calls.size() - 1).atNanos();
    lock.always = ScriptedLock.Outcome.HANG;

    clock.advance(Duration.ofSeconds(10).minus(ms(1)));
    assertThat(e.isLeader()).isTrue();
    clock.advance(ms(1));
    assertThat(clock.nanoTime() - lastRenewalStart).isEqualTo(RENEW.toNanos());
    assertThat(e.isLeader()).isFalse();
    assertThat(r.ended).hasSize(1);
    assertThat(r.ended.get(0).endReason()).contains(EndReason.RENEW_DEADLINE_EXCEEDED);
    assertThat(r.ended.get(0).validUntilNanos()).isEqualTo(lastRenewalStart + RENEW.toNanos());
    assertThat(r.startsAndStops()).containsExactly("start:1", "stop:1");
    // every call got a timeout no longer than the time left in the term
    for (ScriptedLock.Call c : lock.calls) {
      if (c.atNanos() > lastRenewalStart && c.atNanos() < lastRenewalStart + RENEW.toNanos()) {
        assertThat(c.atNanos() + c.timeout().toNanos())
            .isLessThanOrEqualTo(lastRenewalStart + RENEW.toNanos());
      }
    }
  }

  @Test
  void aFrozenProcessAnswersFalseTheMomentItResumes() {
    LeaderElector e = elector(lock("a", false), new Recorder());
    e.start();
    clock.runPending();
    assertThat(e.isLeader()).isTrue();

    clock.freeze(Duration.ofSeconds(20)); // no task has run yet after the freeze
    assertThat(e.isLeader()).isFalse();
    assertThat(e.currentLeadership()).isEmpty();
  }

  @Test
  void writesFailingWhileReadsWorkEndLeadershipAtTheDeadline() {
    // fabric8 #2860: the leader never got onStopLeading
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();
    lock.scriptWritesOnly = true;
    lock.always = ScriptedLock.Outcome.FAIL;
    clock.advance(RENEW.minus(ms(1)));
    assertThat(e.isLeader()).isTrue();
    assertThat(lock.count("get")).as("reads keep working").isGreaterThan(1);
    clock.advance(ms(1));
    assertThat(e.isLeader()).isFalse();
    assertThat(r.startsAndStops()).containsExactly("start:1", "stop:1");
  }

  @Test
  void aRenewalThatReturnsAfterAFreezeDoesNotExtendTheTerm() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();
    clock.advance(RETRY.minus(ms(1)));
    clock.freeze(Duration.ofSeconds(30)); // frozen right before the renewal fires
    clock.runPending(); // deadline timer and renewal both due: the term is over
    assertThat(r.ended).isNotEmpty();
    assertThat(r.ended.get(0).endReason()).contains(EndReason.RENEW_DEADLINE_EXCEEDED);
    assertThat(r.ended.get(0).validUntilNanos()).isEqualTo(RENEW.toNanos());
  }

  @Test
  void listenersAreToldWhichOperationFailedOrConflicted() {
    ScriptedLock lock = lock("a", false);
    List<String> told = new ArrayList<>();
    LeaderElector e =
        LeaderElector.builder(lock)
            .listener(
                new LeaderElectionListener() {
                  @Override
                  public void onConflict(Operation operation) {
                    told.add("conflict " + operation);
                  }

                  @Override
                  public void onError(Operation operation, Throwable error) {
                    told.add("error " + operation);
                  }
                })
            .scheduler(clock)
            .timeSource(clock)
            .callbackExecutor(clock)
            .random(() -> 0.0)
            .build();
    electors.add(e);

    lock.script.add(ScriptedLock.Outcome.FAIL); // the first read
    boolean[] raced = {false};
    lock.beforeWrite =
        () -> {
          if (!raced[0]) { // someone else creates the Lease first, and releases it at once
            raced[0] = true;
            lease.overwrite(new LeaseRecord("", 1, clock.now(), clock.now(), 0, null, null, null));
          }
        };
    e.start();
    clock.runPending();
    clock.advance(RETRY);
    assertThat(e.isLeader()).isTrue();
    assertThat(told).containsExactly("error GET", "conflict CREATE");

    lock.script.add(ScriptedLock.Outcome.FAIL); // the next renewal
    clock.advance(RETRY);
    assertThat(e.isLeader()).isTrue();
    assertThat(told).containsExactly("error GET", "conflict CREATE", "error UPDATE");

    raced[0] = false; // the release races with another writer and is retried
    lock.beforeWrite =
        () -> {
          if (!raced[0]) {
            raced[0] = true;
            lease.overwrite(lease.current().orElseThrow());
          }
        };
    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(told)
        .containsExactly("error GET", "conflict CREATE", "error UPDATE", "conflict RELEASE");
  }

  // --- conflicts and losing --------------------------------------------------------------------

  @Test
  void aConflictOnRenewalRereadsAndStepsDownAtOnceWhenSomeoneElseHolds() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();
    lock.clear();
    lease.overwrite(foreign("intruder", 15, 1));

    clock.advance(RETRY);

    assertThat(lock.operations()).startsWith("update", "get");
    assertThat(e.isLeader()).isFalse();
    assertThat(r.ended.get(0).endReason()).contains(EndReason.LOST);
    assertThat(r.callbacks).containsSubsequence("start:1", "leader:intruder", "stop:1");
    assertThat(e.currentLeader()).contains("intruder");
  }

  @Test
  void aConflictWhileStillHolderRenewsOnTheSlowPath() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    // another tool touches the Lease without changing the holder: our cached version is stale
    LeaseRecord current = lease.current().orElseThrow();
    lease.overwrite(current);
    lock.clear();
    clock.advance(RETRY);
    assertThat(lock.operations()).containsExactly("update", "get", "update");
    assertThat(e.isLeader()).isTrue();
    clock.advance(RETRY);
    assertThat(lock.operations()).containsExactly("update", "get", "update", "update");
  }

  @Test
  void twoCandidatesRacingForAFreeLeaseYieldExactlyOneLeader() {
    LeaderElector a = elector(lock("a", false), new Recorder());
    LeaderElector b = elector(lock("b", false), new Recorder());
    a.start();
    b.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(60));
    assertThat(List.of(a.isLeader(), b.isLeader())).containsExactlyInAnyOrder(true, false);
  }

  // --- callbacks ------------------------------------------------------------------------------

  @Test
  void callbacksComeInPairsAndNothingRunsAfterClose() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();
    lock.always = ScriptedLock.Outcome.FAIL; // lose it
    clock.advance(RENEW);
    lock.always = ScriptedLock.Outcome.PASS; // win it back as a new term
    clock.advance(RETRY.multipliedBy(3));
    assertThat(e.isLeader()).isTrue();
    var closing = e.closeAsync();
    clock.advance(RETRY);
    assertThat(closing.toCompletableFuture()).isCompleted();
    int seen = r.callbacks.size();
    clock.advance(Duration.ofMinutes(1));

    assertThat(r.startsAndStops()).containsExactly("start:1", "stop:1", "start:2", "stop:2");
    assertThat(r.callbacks).hasSize(seen);
    assertThat(clock.pendingTasks()).isZero();
  }

  @Test
  void noStopWithoutAStart() {
    lease.overwrite(foreign("other", 15, 0));
    Recorder r = new Recorder();
    LeaderElector e = elector(lock("b", false), r);
    e.start();
    clock.runPending();
    var closing = e.closeAsync();
    clock.advance(RETRY);
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(r.startsAndStops()).isEmpty();
    assertThat(r.callbacks).containsExactly("leader:other");
  }

  @Test
  void aBlockedCallbackNeverDelaysRenewals() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    List<Runnable> neverRun = new ArrayList<>();
    LeaderElector e = elector(lock, r, LeaderElectionConfig.defaults(), neverRun::add);
    e.start();
    clock.runPending();
    lock.clear();
    clock.advance(Duration.ofMinutes(1));
    assertThat(e.isLeader()).isTrue();
    assertThat(lock.count("update")).isEqualTo(30);
    assertThat(r.callbacks).isEmpty();
    assertThat(neverRun).isNotEmpty();
  }

  @Test
  void theLeadershipHandleSignalsTheEndOfItsTerm() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    Leadership l = e.currentLeadership().orElseThrow();
    var ended = l.ended().toCompletableFuture();
    assertThat(ended).isNotDone();
    lock.always = ScriptedLock.Outcome.HANG;
    clock.advance(RENEW);
    assertThat(l.isValid()).isFalse();
    assertThat(ended).isCompletedWithValue(EndReason.RENEW_DEADLINE_EXCEEDED);
  }

  // --- release ----------------------------------------------------------------------------------

  @Test
  void closeReleasesTheLeaseAsClientGoWritesIt() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    LeaseRecord stored = lease.current().orElseThrow();
    assertThat(stored.holderIdentity()).isEmpty();
    assertThat(stored.leaseDurationSeconds()).isEqualTo(1);
    assertThat(stored.leaseTransitions()).isZero();
    assertThat(stored.renewTime()).isEqualTo(clock.now());
    assertThat(e.state()).isEqualTo(LeaderElector.State.CLOSED);
  }

  @Test
  void releaseLeavesALeaseThatSomeoneElseHoldsAlone() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    LeaseRecord theirs = lease.overwrite(foreign("b", 15, 1));
    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(lease.current()).contains(theirs);
  }

  @Test
  void releaseRetriesAConflict() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    // the first release write loses a race with a metadata-only change by another tool
    boolean[] raced = {false};
    lock.beforeWrite =
        () -> {
          if (!raced[0]) {
            raced[0] = true;
            lease.overwrite(lease.current().orElseThrow());
          }
        };
    lock.clear();
    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    // The first try is a compare-and-swap on the version of the last renewal; its conflict
    // re-reads.
    assertThat(lock.operations()).containsExactly("update", "get", "update");
    assertThat(lease.current().orElseThrow().holderIdentity()).isEmpty();
  }

  @Test
  void closingACandidateThatNeverHeldTheLeaseMakesNoCall() {
    lease.overwrite(foreign("other", 15, 0));
    ScriptedLock lock = lock("b", false);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    lock.clear();
    lock.always = ScriptedLock.Outcome.HANG; // an unreachable apiserver must not delay close
    var closing = e.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(lock.calls).isEmpty();
  }

  @Test
  void closeDoesNotReleaseWhileLeaderWorkIsStillRunning() {
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    List<Runnable> stuck = new ArrayList<>();
    LeaderElector e = elector(lock, r, LeaderElectionConfig.defaults(), stuck::add);
    e.start();
    clock.runPending();
    var closing = e.closeAsync();
    clock.advance(RENEW.plusSeconds(1)); // closeTimeout defaults to renewDeadline
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(lease.current().orElseThrow().holderIdentity()).isEqualTo("a");
  }

  @Test
  void yieldEndsTheTermReleasesAndStaysOutForOneLeaseDuration() {
    ScriptedLock lockA = lock("a", true);
    Recorder ra = new Recorder();
    LeaderElector a = elector(lockA, ra);
    a.start();
    clock.runPending();
    LeaderElector b = elector(lock("b", true), new Recorder());
    b.start();
    clock.runPending();
    assertThat(a.isLeader()).isTrue();

    assertThat(a.yieldLeadership()).isTrue();
    clock.runPending();
    assertThat(a.isLeader()).isFalse();
    assertThat(ra.ended.get(0).endReason()).contains(EndReason.YIELDED);
    assertThat(b.isLeader()).as("b takes the released lease at once through its watch").isTrue();
  }

  // --- malformed and deleted Leases -------------------------------------------------------------

  @Test
  void malformedRecordsHaveADefinedMeaning() {
    record Case(String name, LeaseRecord record, Duration takeoverAfter, int transitionsWritten) {}
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    List<Case> cases =
        List.of(
            new Case("all null", LeaseRecord.empty(), Duration.ZERO, 1),
            new Case(
                "null duration: own leaseDuration",
                new LeaseRecord("x", null, t, t, 2, null, null, null),
                LEASE,
                3),
            new Case(
                "zero duration: own leaseDuration",
                new LeaseRecord("x", 0, t, t, 2, null, null, null),
                LEASE,
                3),
            new Case(
                "negative duration: own leaseDuration",
                new LeaseRecord("x", -5, t, t, 2, null, null, null),
                LEASE,
                3),
            new Case(
                "null transitions read as 0",
                new LeaseRecord("x", 3, t, t, null, null, null, null),
                Duration.ofSeconds(3),
                1),
            new Case(
                "negative transitions read as 0",
                new LeaseRecord("x", 3, t, t, -4, null, null, null),
                Duration.ofSeconds(3),
                1),
            new Case(
                "no times at all",
                new LeaseRecord("x", 3, null, null, 9, null, null, null),
                Duration.ofSeconds(3),
                10),
            new Case(
                "null holder is free",
                new LeaseRecord(null, 15, t, t, 1, null, null, null),
                Duration.ZERO,
                2));
    for (Case c : cases) {
      ManualScheduler s = new ManualScheduler();
      InMemoryLease l = new InMemoryLease(c.name());
      l.overwrite(c.record());
      LeaderElector e =
          LeaderElector.builder(l.lock("me"))
              .scheduler(s)
              .timeSource(s)
              .callbackExecutor(s)
              .random(() -> 0.0)
              .build();
      e.start();
      s.runPending();
      if (!c.takeoverAfter().isZero()) {
        s.advance(c.takeoverAfter().minus(ms(1)));
        assertThat(e.isLeader()).as(c.name() + ": not before expiry").isFalse();
        s.advance(ms(1));
      }
      assertThat(e.isLeader()).as(c.name() + ": taken at expiry").isTrue();
      assertThat(l.current().orElseThrow().leaseTransitions())
          .as(c.name())
          .isEqualTo(c.transitionsWritten());
    }
  }

  @Test
  void aLeaseDeletedUnderTheLeaderIsRecreatedKeepingTheFencingToken() {
    lease.overwrite(foreign("", 1, 6));
    ScriptedLock lock = lock("a", false);
    Recorder r = new Recorder();
    LeaderElector e = elector(lock, r);
    e.start();
    clock.runPending();
    assertThat(e.currentLeadership().orElseThrow().fencingToken()).isEqualTo(2);
    lease.delete();
    lock.clear();
    clock.advance(RETRY);
    assertThat(lock.operations()).containsExactly("update", "get", "create");
    assertThat(e.isLeader()).isTrue();
    assertThat(lease.current().orElseThrow().leaseTransitions()).isEqualTo(7);
    assertThat(r.startsAndStops()).containsExactly("start:2");
  }

  @Test
  void aDeletedLeaseDoesNotFreeTheLockBeforeItsLastHolderExpires() {
    lease.overwrite(foreign("other", 15, 3));
    LeaderElector e = elector(lock("b", false), new Recorder());
    e.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(4));
    lease.delete();
    clock.advance(Duration.ofSeconds(10));
    assertThat(e.isLeader()).isFalse();
    assertThat(lease.current()).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(e.isLeader()).isTrue();
    assertThat(lease.current().orElseThrow().leaseTransitions())
        .as("creating after a delete continues the fencing sequence")
        .isEqualTo(4);
  }

  // --- watch ------------------------------------------------------------------------------------

  @Test
  void withAWatchAReleasedLeaseIsTakenAtOnce() {
    ScriptedLock lockA = lock("a", true);
    LeaderElector a = elector(lockA, new Recorder());
    a.start();
    clock.runPending();
    LeaderElector b = elector(lock("b", true), new Recorder());
    b.start();
    clock.runPending();
    var closing = a.closeAsync();
    clock.runPending(); // no time passes
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(b.isLeader()).isTrue();
  }

  @Test
  void onlyCandidatesWatchALeaderHoldsNoWatch() {
    ScriptedLock lockA = lock("a", true);
    LeaderElector a = elector(lockA, new Recorder());
    a.start();
    clock.runPending();
    assertThat(a.isLeader()).isTrue();
    assertThat(lockA.watchesOpened).as("took a free Lease at once: never watched").isZero();

    ScriptedLock lockB = lock("b", true);
    LeaderElector b = elector(lockB, new Recorder());
    b.start();
    clock.runPending();
    assertThat(lockB.operations()).containsExactly("get");
    assertThat(lockB.watchesOpen).as("follows after its first read: watches").isEqualTo(1);

    clock.advance(Duration.ofSeconds(20));
    assertThat(lockA.watchesOpened).as("renewing for 20 s: still no watch").isZero();

    var unused = a.closeAsync();
    clock.runPending();
    assertThat(b.isLeader()).isTrue();
    assertThat(lockB.watchesOpen).as("its term began: the watch is closed").isZero();
  }

  @Test
  void closingAFollowerClosesItsWatch() {
    lease.overwrite(foreign("other", 15, 0));
    ScriptedLock lock = lock("b", true);
    LeaderElector b = elector(lock, new Recorder());
    b.start();
    clock.runPending();
    assertThat(lock.watchesOpen).isEqualTo(1);
    var closing = b.closeAsync();
    clock.runPending();
    assertThat(closing.toCompletableFuture()).isCompleted();
    assertThat(lock.watchesOpen).isZero();
    assertThat(lock.watchesOpened).isEqualTo(1);
  }

  @Test
  void aLeaderThatLosesItsTermWatchesAgain() {
    ScriptedLock lockA = lock("a", true);
    Recorder r = new Recorder();
    LeaderElector a = elector(lockA, r);
    a.start();
    clock.runPending();
    lease.overwrite(foreign("intruder", 15, 1));
    clock.advance(RETRY); // the renewal conflicts, the re-read shows the intruder
    assertThat(r.ended.get(0).endReason()).contains(EndReason.LOST);
    assertThat(lockA.watchesOpen).isEqualTo(1);

    // and the watch works: the intruder's release is taken at once, with one compare-and-swap on
    // the pushed version and no read
    lockA.clear();
    lease.overwrite(new LeaseRecord("", 1, clock.now(), clock.now(), 1, null, null, null));
    clock.runPending();
    assertThat(a.isLeader()).isTrue();
    assertThat(lockA.operations()).containsExactly("update");
    assertThat(lockA.watchesOpen).isZero();
  }

  @Test
  void aLeaseTheServerClockShowsAbandonedForTwiceItsDurationIsTakenAtOnce() {
    lease.overwrite(foreign("crashed", 15, 4));
    ScriptedLock lockB = lock("b", false);
    lockB.onRead = r -> r.withWrittenAgo(LEASE.multipliedBy(2));
    Recorder rec = new Recorder();
    LeaderElector b = elector(lockB, rec);
    b.start();
    clock.runPending(); // no time passes
    assertThat(b.isLeader()).isTrue();
    assertThat(lockB.operations()).containsExactly("get", "update");
    assertThat(b.currentLeadership().orElseThrow().fencingToken()).isEqualTo(2);
  }

  @Test
  void aLeaseWrittenLessThanTwiceItsDurationAgoByTheServerClockIsWaitedFor() {
    lease.overwrite(foreign("slow", 15, 0));
    ScriptedLock lockB = lock("b", false);
    lockB.onRead = r -> r.withWrittenAgo(LEASE.multipliedBy(2).minus(ms(1)));
    LeaderElector b = elector(lockB, new Recorder());
    b.start();
    clock.runPending();
    clock.advance(LEASE.minus(ms(1)));
    assertThat(b.isLeader()).as("waits the lease duration from its own first sight").isFalse();
    assertThat(lockB.count("update")).isZero();
    clock.advance(ms(1));
    assertThat(b.isLeader()).isTrue();
  }

  @Test
  void theAbandonedCheckUsesTheRecordsOwnLeaseDuration() {
    lease.overwrite(foreign("long-lease", 60, 0));
    ScriptedLock lockB = lock("b", false);
    lockB.onRead = r -> r.withWrittenAgo(Duration.ofSeconds(100)); // > 2 x 15 s, < 2 x 60 s
    LeaderElector b = elector(lockB, new Recorder());
    b.start();
    clock.runPending();
    clock.advance(Duration.ofSeconds(59));
    assertThat(b.isLeader()).isFalse();
    assertThat(lockB.count("update")).isZero();
  }

  @Test
  void withAWatchAnExpiredLeaseIsTakenAtTheExactInstantItExpires() {
    ScriptedLock lockB = lock("b", true);
    lease.overwrite(foreign("crashed", 15, 0));
    LeaderElector b = elector(lockB, new Recorder());
    b.start();
    clock.runPending();
    clock.advance(LEASE.minus(ms(1)));
    assertThat(b.isLeader()).isFalse();
    clock.advance(ms(1));
    assertThat(b.isLeader()).isTrue();
  }

  @Test
  void withAHealthyWatchFollowersMakeNoRequestWhileTheLeaderRenews() {
    LeaderElector a = elector(lock("a", true), new Recorder());
    a.start();
    clock.runPending();
    ScriptedLock lockB = lock("b", true);
    LeaderElector b = elector(lockB, new Recorder());
    b.start();
    clock.runPending();
    lockB.clear();
    clock.advance(Duration.ofMinutes(1));
    assertThat(a.isLeader()).isTrue();
    assertThat(lockB.count("get")).as("renewals arrive through the watch").isZero();
    assertThat(lockB.count("update") + lockB.count("create")).isZero();
  }

  @Test
  void aFollowerWhoseWatchMissesRenewalsReadsAtTheObservedExpiryAndDoesNotTakeOver() {
    LeaderElector a = elector(lock("a", true), new Recorder());
    a.start();
    clock.runPending();
    ScriptedLock lockB = lock("b", true);
    LeaderElector b = elector(lockB, new Recorder());
    b.start();
    clock.runPending();
    lockB.muted = true;
    lockB.clear();
    clock.advance(LEASE.minus(ms(1)));
    assertThat(lockB.count("get")).as("no read before the observed record could expire").isZero();
    clock.advance(ms(1));
    assertThat(lockB.count("get")).as("one read at the observed expiry").isEqualTo(1);
    assertThat(lockB.count("update") + lockB.count("create"))
        .as("the read shows renewals, so no takeover is attempted")
        .isZero();
    clock.advance(Duration.ofMinutes(1));
    assertThat(a.isLeader()).isTrue();
    assertThat(b.isLeader()).isFalse();
    assertThat(lockB.count("get")).as("then one read per leaseDuration").isEqualTo(5);
    assertThat(lockB.count("update") + lockB.count("create")).isZero();
  }

  @Test
  void whenTheWatchStopsDeliveringFollowersPollEveryRetryPeriodAgain() {
    lease.overwrite(foreign("other", 15, 0));
    ScriptedLock lock = lock("b", true);
    LeaderElector e = elector(lock, new Recorder());
    e.start();
    clock.runPending();
    lock.clear();
    java.util.Objects.requireNonNull(lock.watcher).watchHealthChanged(false);
    clock.runPending();
    for (int i = 0; i < 5; i++) {
      clock.advance(RETRY);
      lease.overwrite(renewedAt(foreign("other", 15, 0), clock.now()));
    }
    assertThat(lock.count("get")).isEqualTo(5);
    assertThat(e.isLeader()).isFalse();
  }

  // --- lifecycle --------------------------------------------------------------------------------

  @Test
  void startingTwiceFailsWithAClearMessage() {
    LeaderElector e = elector(lock("a", false), new Recorder());
    e.start();
    assertThatThrownBy(e::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "LeaderElector for in-memory lease test cannot be started: it is started. An elector"
                + " starts once; build a new one to compete again.");
  }

  @Test
  void startingAfterCloseFails() {
    LeaderElector e = elector(lock("a", false), new Recorder());
    e.close();
    assertThat(e.state()).isEqualTo(LeaderElector.State.CLOSED);
    assertThatThrownBy(e::start).hasMessageContaining("it is closed");
  }

  @Test
  void anEmptyLockIdentityIsRejected() {
    assertThatThrownBy(() -> LeaderElector.builder(lease.lock(" ")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Lock identity is empty");
  }

  @Test
  void withoutRejoinAnElectorStaysOutAfterLosing() {
    ScriptedLock lock = lock("a", false);
    LeaderElector e =
        elector(
            lock,
            new Recorder(),
            LeaderElectionConfig.builder().rejoinAfterLoss(false).build(),
            clock);
    e.start();
    clock.runPending();
    lock.always = ScriptedLock.Outcome.FAIL;
    clock.advance(RENEW);
    lock.always = ScriptedLock.Outcome.PASS;
    lock.clear();
    clock.advance(Duration.ofMinutes(1));
    assertThat(e.isLeader()).isFalse();
    assertThat(lock.calls).isEmpty();
  }
}
