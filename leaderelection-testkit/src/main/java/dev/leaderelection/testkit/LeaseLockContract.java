package dev.leaderelection.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The contract of {@link LeaseLock}, as a JUnit 5 suite that a backend's test class extends. A
 * backend that passes it does what the election relies on: compare-and-swap writes with {@link
 * Reason#CONFLICT} for a lost race, {@link Reason#NOT_FOUND} for a deleted Lease, no write through
 * a Lease deleted and re-created since it was read, every record field stored and read back as
 * written (odd records included), timeouts honoured with {@link Reason#TIMEOUT}, and, where the
 * backend watches, a watch that delivers the current record first, then changes and deletions, and
 * can be opened again.
 *
 * <p>Each test works on a Lease of its own, with a fresh name (a DNS subdomain of at most 80
 * characters, derived from the test's name plus a unique suffix) that no other test uses; the suite
 * never deletes a Lease except through {@link #deleteLease}. A backend that needs a real store (a
 * Kubernetes API server) gets it in its subclass, for example with {@link
 * LocalControlPlaneExtension}.
 *
 * <p>Hooks: implement {@link #newLock}, {@link #deleteLease}, {@link #storeAsAnotherTool} and
 * {@link #unresponsiveLock}; override {@link #versionsGrowAcrossRecreate()}, {@link
 * #microsecondTimes()} and {@link #storeAcceptsNonPositiveDuration()} where the default (that of a
 * Kubernetes Lease) does not describe the backend.
 *
 * <p>A test that does not apply to the backend (no watch, no unresponsive store, versions that are
 * not decimal) is reported as skipped, with the reason, never as passed.
 *
 * <p>Watches are opened on {@link Scheduler#shared()}, the election's default scheduler; waiting
 * for their events is bounded by {@link #WAIT}.
 */
public abstract class LeaseLockContract {

  /** The timeout given to every call that is expected to succeed. */
  protected static final Duration T = Duration.ofSeconds(10);

  /** How long the suite waits for a stage or a watch event before it fails the test. */
  protected static final Duration WAIT = Duration.ofSeconds(30);

  /** The timeout given to calls on an {@link #unresponsiveLock unresponsive store}. */
  private static final Duration SHORT = Duration.ofMillis(800);

  /** How much later than its timeout a call on an unresponsive store may fail. */
  private static final Duration MARGIN = Duration.ofMillis(1500);

  /** A time with microseconds, as Kubernetes MicroTime stores it. */
  private static final Instant T1 = Instant.parse("2026-11-22T02:22:55.123456Z");

  /** Another time with microseconds, to catch swapped fields. */
  private static final Instant T2 = Instant.parse("2026-11-22T02:23:05.000001Z");

  private static final String RUN =
      UUID.randomUUID().toString().replace("-", "").substring(0, 8).toLowerCase(Locale.ROOT);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private String leaseName = "";

  /** For subclasses. */
  protected LeaseLockContract() {}

  // ---- hooks
  // -------------------------------------------------------------------------------------

  /**
   * A new lock on the Lease {@code leaseName} for the candidate {@code identity}. Called several
   * times per test, also with the same identity: each lock must reach the same stored Lease. The
   * Lease does not exist before a test creates it; the suite gives each test a name no other test
   * uses, so a backend may keep every Lease in one namespace (or store).
   *
   * @param leaseName a DNS subdomain, unique to the calling test
   * @param identity the candidate's identity, not empty
   * @return a lock on that Lease
   */
  protected abstract LeaseLock newLock(String leaseName, String identity);

  /**
   * Deletes the Lease {@code leaseName} behind the locks' back, as {@code kubectl delete lease}
   * would. The suite calls it only while the Lease exists.
   *
   * @param leaseName the Lease's name
   */
  protected abstract void deleteLease(String leaseName);

  /**
   * Creates the Lease {@code leaseName} with {@code record} as another tool would, without the
   * backend under test: for Kubernetes, a plain client posting the Lease object; for {@code
   * InMemoryLease}, {@code overwrite}. Every field must be written exactly as given, {@code null}
   * ones left out; the record's version is ignored. The suite calls it only while the Lease does
   * not exist, and never with a record the store refuses (see {@link
   * #storeAcceptsNonPositiveDuration()}).
   *
   * @param leaseName the Lease's name
   * @param record the record to store
   */
  protected abstract void storeAsAnotherTool(String leaseName, LeaseRecord record);

  /**
   * A lock on the Lease {@code leaseName} whose store accepts connections and never answers (for a
   * backend over HTTP: pointed at a local socket that accepts and stays silent, such as a {@link
   * TcpRelay} cut with {@link TcpRelay.CutMode#BLACKHOLE}). Return empty where the backend has no
   * such thing (a store in memory never waits); the timeout test is then skipped, saying so.
   *
   * @param leaseName the Lease's name
   * @param identity the candidate's identity
   * @return the lock, or empty if the backend cannot be made to wait
   */
  protected abstract Optional<LeaseLock> unresponsiveLock(String leaseName, String identity);

  /**
   * Whether the backend's versions are decimal numbers that grow with every write and never repeat,
   * also after the Lease was deleted and created again (Kubernetes resourceVersions do). The
   * election then uses them as fencing tokens; the suite checks the claim. Default {@code true}; a
   * backend with opaque versions returns {@code false}, and the test is skipped.
   *
   * @return whether versions are decimal and grow across a re-create
   */
  protected boolean versionsGrowAcrossRecreate() {
    return true;
  }

  /**
   * Whether the store keeps times to the microsecond, as Kubernetes {@code MicroTime} does (RFC
   * 3339 with six fractional digits): a time with nanoseconds then reads back truncated to
   * microseconds. Default {@code true}; a store that keeps every nanosecond (the in-memory one)
   * returns {@code false}, and such a time reads back unchanged. Times with microseconds must
   * round-trip exactly either way.
   *
   * @return whether times are truncated to microseconds
   */
  protected boolean microsecondTimes() {
    return true;
  }

  /**
   * Whether the store can hold a {@code leaseDurationSeconds} of 0 or less. Default {@code false}:
   * the Kubernetes API server rejects it ({@code 422}, "must be greater than 0"), so no Kubernetes
   * Lease has one and the test that reads one is skipped. A store that accepts anything (the
   * in-memory one) returns {@code true}.
   *
   * @return whether a non-positive duration can be stored
   */
  protected boolean storeAcceptsNonPositiveDuration() {
    return false;
  }

  /**
   * Restarts the store as an API server restart does: open connections and watches break, and the
   * stored state survives. Returns when the store answers again. Default: not possible, and the
   * test of a watch across a restart is skipped.
   *
   * @return whether the store was restarted
   */
  protected boolean restartStore() {
    return false;
  }

  @BeforeEach
  void pickLeaseName(TestInfo info) {
    String method =
        info.getTestMethod()
            .map(m -> m.getName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", ""))
            .orElse("lease");
    if (method.length() > 60) {
      method = method.substring(0, 60);
    }
    leaseName = method + "-" + RUN + "-" + SEQUENCE.incrementAndGet();
  }

  // ---- get and create
  // ----------------------------------------------------------------------------

  /** {@code get} of a Lease that does not exist completes with empty. */
  @Test
  void getOfAnAbsentLeaseIsEmpty() {
    assertEquals(Optional.empty(), await(lock("a").get(T)), "get of a Lease never created");
  }

  /** {@code create} stores the record and returns it with a version; {@code get} returns it. */
  @Test
  void createThenGetReturnsTheRecord() {
    LeaseRecord mine = held("a", T1, T2, 0);
    LeaseRecord created = await(lock("a").create(mine, T));
    assertHasVersion(created);
    assertEquals(mine, spec(created), "create returns the record it stored");
    LeaseRecord read = read(lock("b"));
    assertEquals(mine, spec(read), "get returns the created record");
    assertEquals(created.version(), read.version(), "get returns the version create returned");
  }

  /** {@code create} of a Lease that exists fails with CONFLICT and leaves it unchanged. */
  @Test
  void createOfAnExistingLeaseFailsWithConflict() {
    LeaseRecord created = await(lock("a").create(held("a", T1, T1, 0), T));
    LeaseLockException e = failure(lock("b").create(held("b", T2, T2, 0), T));
    assertEquals(Reason.CONFLICT, e.reason(), "create of an existing Lease: " + e);
    assertStored(created);
  }

  // ---- update
  // ------------------------------------------------------------------------------------

  /** {@code update} based on the stored version succeeds, and returns and stores a new version. */
  @Test
  void updateWithTheCurrentVersionSucceedsAndReturnsANewVersion() {
    LeaseLock a = lock("a");
    LeaseRecord created = await(a.create(held("a", T1, T1, 0), T));
    LeaseRecord renewal = held("a", T1, T2, 0).withVersion(created.version());
    LeaseRecord renewed = await(a.update(renewal, T));
    assertHasVersion(renewed);
    assertNotEquals(created.version(), renewed.version(), "an update gives a new version");
    assertEquals(spec(renewal), spec(renewed), "update returns the record it stored");
    assertStored(renewed);
  }

  /** {@code update} based on a version that is no longer stored fails with CONFLICT. */
  @Test
  void updateWithAStaleVersionFailsWithConflict() {
    LeaseLock a = lock("a");
    LeaseRecord created = await(a.create(held("a", T1, T1, 0), T));
    LeaseRecord renewed = await(a.update(held("a", T1, T2, 0).withVersion(created.version()), T));
    LeaseLockException e =
        failure(lock("b").update(held("b", T2, T2, 1).withVersion(created.version()), T));
    assertEquals(Reason.CONFLICT, e.reason(), "update with a stale version: " + e);
    assertStored(renewed);
  }

  /**
   * Of two updates based on one version, sent together from two locks, exactly one succeeds and the
   * other fails with CONFLICT; the winner's record is stored. Five rounds.
   */
  @Test
  void ofTwoUpdatesBasedOnOneVersionExactlyOneSucceeds() {
    LeaseLock a = lock("a");
    LeaseLock b = lock("b");
    LeaseRecord current = await(a.create(held("a", T1, T1, 0), T));
    for (int round = 1; round <= 5; round++) {
      Instant now = T2.plusSeconds(round);
      LeaseRecord byA = held("a", T1, now, round).withVersion(current.version());
      LeaseRecord byB = held("b", now, now, round).withVersion(current.version());
      CompletableFuture<LeaseRecord> fa = a.update(byA, T).toCompletableFuture();
      CompletableFuture<LeaseRecord> fb = b.update(byB, T).toCompletableFuture();
      Optional<LeaseRecord> wonA = outcome(fa);
      Optional<LeaseRecord> wonB = outcome(fb);
      assertTrue(
          wonA.isPresent() != wonB.isPresent(),
          "round " + round + ": exactly one update must succeed; a: " + wonA + ", b: " + wonB);
      LeaseRecord winner = wonA.isPresent() ? wonA.get() : wonB.orElseThrow();
      assertEquals(spec(wonA.isPresent() ? byA : byB), spec(winner), "round " + round);
      assertStored(winner);
      current = winner;
    }
  }

  /**
   * {@code update} of a record without a version (null or empty) fails, with INVALID (it cannot be
   * a compare-and-swap) or CONFLICT (no stored version equals it), and writes nothing.
   */
  @Test
  void updateWithoutAVersionFails() {
    LeaseLock a = lock("a");
    LeaseRecord created = await(a.create(held("a", T1, T1, 0), T));
    assertUpdateFailsWithoutVersion(a, created, null);
    assertUpdateFailsWithoutVersion(a, created, "");
  }

  private void assertUpdateFailsWithoutVersion(
      LeaseLock a, LeaseRecord created, @Nullable String version) {
    LeaseLockException e = failure(a.update(held("a", T1, T2, 0).withVersion(version), T));
    assertTrue(
        e.reason() == Reason.INVALID || e.reason() == Reason.CONFLICT,
        "update with version " + quoted(version) + " must fail INVALID or CONFLICT: " + e);
    assertStored(created);
  }

  /**
   * {@code update} of a Lease deleted since it was read fails with NOT_FOUND and re-creates none.
   */
  @Test
  void updateOfADeletedLeaseFailsWithNotFound() {
    LeaseLock a = lock("a");
    LeaseRecord created = await(a.create(held("a", T1, T1, 0), T));
    deleteLease(leaseName);
    LeaseLockException e =
        failure(a.update(held("a", T1, T2, 0).withVersion(created.version()), T));
    assertEquals(Reason.NOT_FOUND, e.reason(), "update of a deleted Lease: " + e);
    assertEquals(Optional.empty(), await(lock("b").get(T)), "the update re-created the Lease");

    // a lock that never read nor wrote the Lease, given a version from elsewhere
    LeaseLockException fresh =
        failure(lock("c").update(held("c", T1, T2, 0).withVersion(created.version()), T));
    assertEquals(Reason.NOT_FOUND, fresh.reason(), "update of a deleted Lease by a new lock");
    assertEquals(
        Optional.empty(), await(lock("b").get(T)), "the new lock's update re-created the Lease");
  }

  /**
   * An update based on a record read before the Lease was deleted and re-created by someone else
   * fails (NOT_FOUND or CONFLICT) and leaves the new Lease as its creator wrote it: a write must
   * never land on an object it was not based on.
   */
  @Test
  void anUpdateBasedOnARecordReadBeforeADeleteAndRecreateFails() {
    LeaseLock a = lock("a");
    await(a.create(held("a", T1, T1, 0), T));
    LeaseRecord read = read(a);
    deleteLease(leaseName);
    LeaseRecord recreated = await(lock("b").create(held("b", T2, T2, 0), T));
    LeaseLockException e = failure(a.update(held("a", T1, T2, 0).withVersion(read.version()), T));
    assertTrue(
        e.reason() == Reason.NOT_FOUND || e.reason() == Reason.CONFLICT,
        "update based on the deleted Lease must fail NOT_FOUND or CONFLICT: " + e);
    assertStored(recreated);
  }

  /**
   * Where {@link #versionsGrowAcrossRecreate()}: every version is a decimal number, each write's is
   * larger than the one before, and after a delete and re-create it is larger than all before.
   */
  @Test
  void versionsAreDecimalAndGrowWithEveryWriteAlsoAcrossARecreate() {
    Assumptions.assumeTrue(
        versionsGrowAcrossRecreate(),
        () -> getClass().getSimpleName() + " says its versions are not growing decimals");
    LeaseLock a = lock("a");
    List<BigInteger> versions = new ArrayList<>();
    LeaseRecord r = await(a.create(held("a", T1, T1, 0), T));
    versions.add(decimal(r));
    for (int i = 1; i <= 3; i++) {
      r = await(a.update(held("a", T1, T1.plusSeconds(i), 0).withVersion(r.version()), T));
      versions.add(decimal(r));
    }
    deleteLease(leaseName);
    r = await(lock("b").create(held("b", T2, T2, 1), T));
    versions.add(decimal(r));
    versions.add(decimal(read(a)));
    for (int i = 1; i < versions.size() - 1; i++) {
      assertTrue(
          versions.get(i).compareTo(versions.get(i - 1)) > 0,
          "versions must grow with every write: " + versions);
    }
    assertEquals(
        versions.get(versions.size() - 2),
        versions.get(versions.size() - 1),
        "get returns the re-created Lease's version: " + versions);
  }

  // ---- timeouts
  // ----------------------------------------------------------------------------------

  /**
   * On a store that never answers, {@code get}, {@code create} and {@code update} each return at
   * once with a stage that is not complete, and complete it with TIMEOUT no earlier than shortly
   * before and no later than a margin after the timeout they were given.
   */
  @Test
  void eachCallOnAnUnresponsiveStoreFailsWithTimeoutWithinItsTimeout() {
    Optional<LeaseLock> silent = unresponsiveLock(leaseName, "a");
    Assumptions.assumeTrue(
        silent.isPresent(),
        () ->
            getClass().getSimpleName()
                + " has no store that can be made unresponsive (unresponsiveLock returned empty),"
                + " so timeouts are not tested");
    LeaseLock lock = silent.orElseThrow();
    assertTimesOut("get", lock, l -> l.get(SHORT));
    assertTimesOut("create", lock, l -> l.create(held("a", T1, T1, 0), SHORT));
    assertTimesOut("update", lock, l -> l.update(held("a", T1, T2, 0).withVersion("1"), SHORT));
  }

  // ---- records
  // -----------------------------------------------------------------------------------

  /**
   * Every field round-trips through create, get and update: holder, duration, both times to the
   * microsecond, transitions, strategy and preferred holder.
   */
  @Test
  void everyFieldRoundTrips() {
    LeaseRecord full = new LeaseRecord("holder-1", 37, T1, T2, 5, STRATEGY, "holder-2", null);
    LeaseRecord created = await(lock("a").create(full, T));
    assertEquals(full, spec(created), "create");
    LeaseRecord read = read(lock("b"));
    assertEquals(full, spec(read), "get after create");
    LeaseRecord other =
        new LeaseRecord(
            "holder-2",
            11,
            T2.plus(7, ChronoUnit.MICROS),
            T1.plusSeconds(3600),
            6,
            STRATEGY,
            "holder-1",
            read.version());
    LeaseRecord updated = await(lock("b").update(other, T));
    assertEquals(spec(other), spec(updated), "update");
    assertEquals(spec(other), spec(read(lock("c"))), "get after update");
  }

  /**
   * A time with nanoseconds reads back truncated to microseconds where the store keeps microseconds
   * ({@link #microsecondTimes()}, Kubernetes MicroTime), else unchanged.
   */
  @Test
  void aTimeWithNanosecondsReadsBackAsTheStoreKeepsIt() {
    Instant nanos = Instant.parse("2026-11-22T03:00:00.987654321Z");
    Instant expected = microsecondTimes() ? nanos.truncatedTo(ChronoUnit.MICROS) : nanos;
    LeaseRecord created = await(lock("a").create(held("a", nanos, nanos, 0), T));
    assertEquals(held("a", expected, expected, 0), spec(created), "create");
    assertEquals(held("a", expected, expected, 0), spec(read(lock("b"))), "get");
  }

  /** A record with every field null is created, and read back, with every field null. */
  @Test
  void aRecordWithAllFieldsNullRoundTrips() {
    LeaseRecord created = await(lock("a").create(LeaseRecord.empty(), T));
    assertHasVersion(created);
    assertEquals(LeaseRecord.empty(), spec(created), "create");
    LeaseRecord read = read(lock("b"));
    assertEquals(LeaseRecord.empty(), spec(read), "get");
    assertEquals(created.version(), read.version(), "get returns the version create returned");
  }

  // ---- odd records written by another tool
  // -------------------------------------------------------

  /** A Lease written by another tool without a holder reads as it is: not held. */
  @Test
  void aLeaseWithoutHolderReadsAsItIs() {
    LeaseRecord read = readsAsStored(new LeaseRecord(null, 15, T1, T2, 3, null, null, null));
    assertFalse(read.isHeld());
  }

  /** A Lease with an empty holder (as client-go's release leaves it) reads as it is: not held. */
  @Test
  void aLeaseWithAnEmptyHolderReadsAsItIs() {
    LeaseRecord read = readsAsStored(new LeaseRecord("", 1, T1, T1, 7, null, null, null));
    assertEquals("", read.holderIdentity(), "an empty holder must not read as null or other");
    assertFalse(read.isHeld());
  }

  /**
   * A Lease with a negative duration reads as it is, where the store can hold one ({@link
   * #storeAcceptsNonPositiveDuration()}).
   */
  @Test
  void aLeaseWithANegativeDurationReadsAsItIs() {
    Assumptions.assumeTrue(
        storeAcceptsNonPositiveDuration(),
        () ->
            getClass().getSimpleName()
                + "'s store refuses leaseDurationSeconds <= 0 (as the Kubernetes API server does),"
                + " so no such Lease can be read from it");
    readsAsStored(new LeaseRecord("someone", -5, T1, T2, 0, null, null, null));
  }

  /** A Lease whose {@code leaseTransitions} is {@link Integer#MAX_VALUE} reads as it is. */
  @Test
  void aLeaseWithLeaseTransitionsAtIntegerMaxValueReadsAsItIs() {
    readsAsStored(new LeaseRecord("someone", 15, T1, T2, Integer.MAX_VALUE, null, null, null));
  }

  /** A Lease with a holder but neither {@code acquireTime} nor {@code renewTime} reads as it is. */
  @Test
  void aLeaseWithoutTimesReadsAsItIs() {
    readsAsStored(new LeaseRecord("someone", 15, null, null, 2, null, null, null));
  }

  // ---- watch
  // -------------------------------------------------------------------------------------

  /** A watch on an existing Lease delivers its current record before it first reports healthy. */
  @Test
  void aWatchDeliversTheCurrentRecordBeforeReportingHealthy() {
    LeaseRecord created = await(lock("writer").create(held("writer", T1, T1, 0), T));
    Events events = new Events();
    LeaseLock.Watch w = watch(lock("watcher"), events);
    try {
      events.awaitHealthy();
      List<Event> before = events.beforeFirstHealthy();
      assertTrue(
          before.stream().anyMatch(e -> e.isRecord(created)),
          "the current record (" + created + ") must come before healthy; got " + before);
    } finally {
      w.close();
    }
  }

  /** A watch on an absent Lease reports healthy without delivering a record, then its creation. */
  @Test
  void aWatchOnAnAbsentLeaseDeliversItsCreation() {
    Events events = new Events();
    LeaseLock.Watch w = watch(lock("watcher"), events);
    try {
      events.awaitHealthy();
      List<Event> before = events.beforeFirstHealthy();
      assertTrue(
          before.stream().noneMatch(e -> e.change),
          "nothing exists to deliver before healthy; got " + before);
      LeaseRecord created = await(lock("writer").create(held("writer", T1, T1, 0), T));
      events.awaitRecord(created);
    } finally {
      w.close();
    }
  }

  /** A watch delivers a change made through another lock. */
  @Test
  void aWatchDeliversAChangeMadeByAnotherLock() {
    LeaseLock writer = lock("writer");
    LeaseRecord created = await(writer.create(held("writer", T1, T1, 0), T));
    Events events = new Events();
    LeaseLock.Watch w = watch(lock("watcher"), events);
    try {
      events.awaitHealthy();
      LeaseRecord released =
          await(writer.update(new LeaseRecord("", 1, T1, T2, 0, null, null, created.version()), T));
      events.awaitRecord(released);
    } finally {
      w.close();
    }
  }

  /**
   * Where {@link #restartStore()} can: a watch open when the store restarts reconnects by itself
   * and delivers the next change.
   */
  @Test
  void aWatchDeliversChangesAgainAfterTheStoreRestarts() throws InterruptedException {
    LeaseLock writer = lock("writer");
    LeaseRecord created = await(writer.create(held("writer", T1, T1, 0), T));
    Events events = new Events();
    LeaseLock.Watch w = watch(lock("watcher"), events);
    try {
      events.awaitHealthy();
      Assumptions.assumeTrue(restartStore(), "this store cannot be restarted (restartStore())");
      LeaseRecord released = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (released == null) {
        try { // the writer's first call after the restart may meet a dropped connection
          released =
              writer
                  .update(new LeaseRecord("", 1, T1, T2, 0, null, null, created.version()), T)
                  .toCompletableFuture()
                  .get(T.toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError("no write succeeded after the restart", e);
          }
          Thread.sleep(200);
        }
      }
      events.awaitRecord(released);
    } finally {
      w.close();
    }
  }

  /** A watch delivers the deletion of the Lease as {@code null}. */
  @Test
  void aWatchDeliversADeletionAsNull() {
    await(lock("writer").create(held("writer", T1, T1, 0), T));
    Events events = new Events();
    LeaseLock.Watch w = watch(lock("watcher"), events);
    try {
      events.awaitHealthy();
      deleteLease(leaseName);
      events.await("the deletion (null)", e -> e.change && e.record == null);
    } finally {
      w.close();
    }
  }

  /**
   * A lock can be watched again after its earlier watch was closed: the new watch delivers the
   * current record and later changes, and the closed one is not told of a write made after it was
   * closed (checked once the new watch was told of it).
   */
  @Test
  void aLockCanBeWatchedAgainAfterAnEarlierWatchWasClosed() {
    LeaseLock writer = lock("writer");
    LeaseLock watcher = lock("watcher");
    LeaseRecord created = await(writer.create(held("writer", T1, T1, 0), T));
    Events first = new Events();
    LeaseLock.Watch w1 = watch(watcher, first);
    try {
      first.awaitHealthy();
      first.awaitRecord(created);
    } finally {
      w1.close();
    }
    LeaseRecord changed =
        await(writer.update(held("writer", T1, T2, 0).withVersion(created.version()), T));
    Events second = new Events();
    LeaseLock.Watch w2 = watch(watcher, second);
    try {
      second.awaitHealthy();
      second.awaitRecord(changed);
      LeaseRecord again =
          await(
              writer.update(
                  held("writer", T1, T2.plusSeconds(1), 0).withVersion(changed.version()), T));
      second.awaitRecord(again);
      assertFalse(
          first.has(e -> e.isRecord(changed) || e.isRecord(again)),
          "a closed watch was told of writes made after it was closed: " + first.all());
    } finally {
      w2.close();
    }
  }

  /** Closing a watch twice (or more) does not throw. */
  @Test
  void closingAWatchIsIdempotent() {
    await(lock("writer").create(held("writer", T1, T1, 0), T));
    Events events = new Events();
    LeaseLock.Watch w = watch(lock("watcher"), events);
    events.awaitHealthy();
    assertDoesNotThrow(w::close, "first close");
    assertDoesNotThrow(w::close, "second close");
    assertDoesNotThrow(w::close, "third close");
  }

  // ---- helpers
  // -----------------------------------------------------------------------------------

  private static final String STRATEGY = "OldestEmulationVersion";

  private LeaseLock lock(String identity) {
    return newLock(leaseName, identity);
  }

  private static LeaseRecord held(
      String holder, Instant acquired, Instant renewed, int transitions) {
    return new LeaseRecord(holder, 15, acquired, renewed, transitions, null, null, null);
  }

  /** {@return {@code r} without its version and age: what was written} */
  private static LeaseRecord spec(LeaseRecord r) {
    return r.withVersion(null).withWrittenAgo(null);
  }

  private static void assertHasVersion(LeaseRecord r) {
    String v = r.version();
    assertTrue(v != null && !v.isEmpty(), "a stored record must carry a version: " + r);
  }

  /** {@return the record {@code lock} reads, which must exist and carry a version} */
  private static LeaseRecord read(LeaseLock lock) {
    Optional<LeaseRecord> r = await(lock.get(T));
    assertTrue(r.isPresent(), "the Lease should exist");
    assertHasVersion(r.orElseThrow());
    return r.orElseThrow();
  }

  /** Asserts that a fresh lock reads exactly {@code expected}: its spec and its version. */
  private void assertStored(LeaseRecord expected) {
    LeaseRecord r = read(lock("reader"));
    assertEquals(spec(expected), spec(r), "stored record");
    assertEquals(expected.version(), r.version(), "stored version");
  }

  /**
   * Stores {@code record} with {@link #storeAsAnotherTool}, asserts that it reads back exactly, and
   * that it can be taken over with a compare-and-swap on the version read.
   */
  private LeaseRecord readsAsStored(LeaseRecord record) {
    storeAsAnotherTool(leaseName, record);
    LeaseRecord read = read(lock("a"));
    assertEquals(spec(record), spec(read), "a Lease written by another tool must read as it is");
    LeaseRecord takeover = held("a", T2, T2, 1).withVersion(read.version());
    LeaseRecord taken = await(lock("a").update(takeover, T));
    assertEquals(spec(takeover), spec(taken), "taking over the odd Lease");
    return read;
  }

  private static BigInteger decimal(LeaseRecord r) {
    String v = r.version();
    assertTrue(
        v != null && v.matches("[0-9]+"), "version " + quoted(v) + " is not a decimal number");
    return new BigInteger(Objects.requireNonNull(v));
  }

  private static String quoted(@Nullable String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  private static <V> V await(CompletionStage<V> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the call failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not complete within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** {@return the success of {@code f}, or empty if it failed with CONFLICT; fails otherwise} */
  private static Optional<LeaseRecord> outcome(CompletableFuture<LeaseRecord> f) {
    try {
      return Optional.of(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      LeaseLockException l = asLeaseLockException(e.getCause());
      assertEquals(Reason.CONFLICT, l.reason(), "the losing update: " + l);
      return Optional.empty();
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not complete within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** {@return the {@link LeaseLockException} {@code stage} fails with; fails if it succeeds} */
  private static LeaseLockException failure(CompletionStage<?> stage) {
    Object value;
    try {
      value = stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return asLeaseLockException(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not complete within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    throw new AssertionError("expected the call to fail, it returned " + value);
  }

  private static LeaseLockException asLeaseLockException(@Nullable Throwable cause) {
    Throwable e = cause == null ? null : LeaseLockException.unwrap(cause);
    if (e instanceof LeaseLockException l) {
      return l;
    }
    throw new AssertionError("expected a LeaseLockException, got " + e, e);
  }

  /** A call on a lock. */
  @FunctionalInterface
  private interface Call {
    CompletionStage<?> on(LeaseLock lock);
  }

  private static void assertTimesOut(String verb, LeaseLock lock, Call call) {
    long t0 = System.nanoTime();
    CompletableFuture<?> f = call.on(lock).toCompletableFuture();
    assertFalse(
        f.isDone(), verb + " on an unresponsive store must return at once, not complete: " + f);
    LeaseLockException e = failure(f);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertEquals(Reason.TIMEOUT, e.reason(), verb + " on an unresponsive store: " + e);
    assertTrue(
        took.compareTo(SHORT.minusMillis(50)) >= 0 && took.compareTo(SHORT.plus(MARGIN)) <= 0,
        verb
            + " given "
            + SHORT.toMillis()
            + " ms must fail at its timeout (at most "
            + MARGIN.toMillis()
            + " ms later); it took "
            + took.toMillis()
            + " ms");
  }

  private LeaseLock.Watch watch(LeaseLock lock, Events events) {
    LeaseLock.Watch w = lock.watch(events, Scheduler.shared());
    Assumptions.assumeTrue(
        w != null, () -> lock + ": watch returned null (this backend cannot watch)");
    return Objects.requireNonNull(w);
  }

  /** One thing a watch told its listener. */
  private static final class Event {
    final boolean change;
    final @Nullable LeaseRecord record;
    final boolean healthy;

    private Event(boolean change, @Nullable LeaseRecord record, boolean healthy) {
      this.change = change;
      this.record = record;
      this.healthy = healthy;
    }

    /** {@return whether this is the delivery of {@code r}: its spec and version} */
    boolean isRecord(LeaseRecord r) {
      LeaseRecord mine = record;
      return change
          && mine != null
          && spec(mine).equals(spec(r))
          && Objects.equals(mine.version(), r.version());
    }

    @Override
    public String toString() {
      return change ? "leaseChanged(" + record + ")" : "watchHealthChanged(" + healthy + ")";
    }
  }

  /** Everything a watch told, in order; waits are bounded by {@link #WAIT}. */
  private static final class Events implements LeaseLock.ChangeListener {
    private final List<Event> events = new ArrayList<>();

    @Override
    public void leaseChanged(@Nullable LeaseRecord current) {
      add(new Event(true, current, false));
    }

    @Override
    public void watchHealthChanged(boolean healthy) {
      add(new Event(false, null, healthy));
    }

    private synchronized void add(Event e) {
      events.add(e);
      notifyAll();
    }

    synchronized List<Event> all() {
      return List.copyOf(events);
    }

    synchronized boolean has(Predicate<Event> p) {
      return events.stream().anyMatch(p);
    }

    /** {@return the events before the first report of healthy (all, if none)} */
    synchronized List<Event> beforeFirstHealthy() {
      List<Event> before = new ArrayList<>();
      for (Event e : events) {
        if (!e.change && e.healthy) {
          break;
        }
        before.add(e);
      }
      return before;
    }

    void awaitHealthy() {
      await("a report of healthy", e -> !e.change && e.healthy);
    }

    void awaitRecord(LeaseRecord r) {
      await("the record " + r, e -> e.isRecord(r));
    }

    synchronized void await(String what, Predicate<Event> p) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!has(p)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail(
              "the watch did not deliver " + what + " within " + WAIT + "; it delivered " + events);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }
}
