package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.Decision.Action;
import dev.leaderelection.core.Decision.Kind;
import dev.leaderelection.core.Decision.Outcome;
import dev.leaderelection.core.Decision.Reading;
import dev.leaderelection.core.Decision.Timing;
import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decision, rule by rule: given what the elector knows, what it just read (or was pushed, or
 * nothing when its timer fired) and the time, expect this action. One row per rule, in the order of
 * the algorithm's steps; malformed records have a row each.
 */
class DecisionTest {
  private static final long S = 1_000_000_000L;
  private static final Timing T = new Timing(15 * S, 10 * S, 2 * S, true);
  private static final Timing NO_REJOIN = new Timing(15 * S, 10 * S, 2 * S, false);
  private static final Instant WALL = Instant.parse("2026-06-01T12:00:00.123456789Z");
  private static final Instant WALL_US = Instant.parse("2026-06-01T12:00:00.123456Z");
  private static final Instant EARLIER = Instant.parse("2026-06-01T11:00:00Z");
  private static final long NOW = 100 * S;

  /** A record written by {@code holder}, at {@code version}. */
  private static LeaseRecord rec(
      @Nullable String holder, @Nullable Integer seconds, @Nullable Integer transitions, String v) {
    return new LeaseRecord(holder, seconds, EARLIER, EARLIER, transitions, null, null, v);
  }

  private static Knowledge fresh() {
    return Knowledge.initial("me");
  }

  /** A candidate that saw {@code r} first at {@code at}. */
  private static Knowledge saw(LeaseRecord r, long at) {
    return fresh().observe(r, at);
  }

  /** A leader whose term's last stored record is {@code held}. */
  private static Knowledge leading(LeaseRecord held) {
    return fresh().sending(held).stored(held, NOW - S);
  }

  private static LeaseRecord mine(int transitions, String v) {
    return new LeaseRecord("me", 15, EARLIER, EARLIER, transitions, null, null, v);
  }

  private static Reading fetched(@Nullable LeaseRecord r) {
    return new Reading.Fetched(Optional.ofNullable(r));
  }

  private static Reading pushed(@Nullable LeaseRecord r) {
    return new Reading.Pushed(r);
  }

  record Row(
      String rule, Knowledge k, Reading reading, long now, Timing t, Consumer<Outcome> expect) {
    @Override
    public String toString() {
      return rule;
    }
  }

  private static Consumer<Outcome> kind(Kind kind) {
    return o -> assertThat(o.action().kind()).isEqualTo(kind);
  }

  private static Consumer<Outcome> waits(long at) {
    return o -> {
      assertThat(o.action().kind()).isEqualTo(Kind.WAIT);
      assertThat(o.action().at()).isEqualTo(at);
    };
  }

  /** A write of a new term by "me": acquireTime = renewTime = now, this transitions, version. */
  private static Consumer<Outcome> newTerm(Kind kind, int transitions, @Nullable String version) {
    return o -> {
      Action a = o.action();
      assertThat(a.kind()).isEqualTo(kind);
      assertThat(a.newTerm()).isTrue();
      LeaseRecord r = java.util.Objects.requireNonNull(a.record());
      assertThat(r.holderIdentity()).isEqualTo("me");
      assertThat(r.leaseDurationSeconds()).isEqualTo(15);
      assertThat(r.acquireTime()).isEqualTo(WALL_US);
      assertThat(r.renewTime()).isEqualTo(WALL_US);
      assertThat(r.leaseTransitions()).isEqualTo(transitions);
      assertThat(r.version()).isEqualTo(version);
    };
  }

  /** A write that keeps the term: acquireTime and transitions kept, renewTime now. */
  private static Consumer<Outcome> keeps(Kind kind, int transitions, String version) {
    return o -> {
      Action a = o.action();
      assertThat(a.kind()).isEqualTo(kind);
      assertThat(a.newTerm()).isFalse();
      LeaseRecord r = java.util.Objects.requireNonNull(a.record());
      assertThat(r.holderIdentity()).isEqualTo("me");
      assertThat(r.acquireTime()).isEqualTo(EARLIER);
      assertThat(r.renewTime()).isEqualTo(WALL_US);
      assertThat(r.leaseTransitions()).isEqualTo(transitions);
      assertThat(r.version()).isEqualTo(version);
    };
  }

  private static Consumer<Outcome> ends(EndReason reason, Consumer<Outcome> then) {
    return o -> {
      assertThat(o.action().ends()).isEqualTo(reason);
      assertThat(o.knowledge().leading()).isFalse();
      then.accept(o);
    };
  }

  private static Consumer<Outcome> duplicate(Consumer<Outcome> then) {
    return o -> {
      assertThat(o.action().duplicate()).as("reported as a duplicate identity").isTrue();
      then.accept(o);
    };
  }

  static Stream<Row> rows() {
    LeaseRecord other = rec("other", 15, 4, "10");
    LeaseRecord short3 = rec("other", 3, 4, "10");
    LeaseRecord ours = mine(4, "10");
    LeaseRecord impostor =
        new LeaseRecord("me", 15, WALL.minusSeconds(5), EARLIER, 9, null, null, "11");
    return Stream.of(
        // 1. Fast path
        new Row(
            "1. leading, timer: renew the cached record, no read",
            leading(ours),
            Decision.DUE,
            NOW,
            T,
            keeps(Kind.RENEW, 4, "10")),
        // 2. Obtain
        new Row("2. nothing known, timer: read", fresh(), Decision.DUE, NOW, T, kind(Kind.READ)),
        new Row(
            "2. not competing, timer: nothing",
            fresh().termEnded(false),
            Decision.DUE,
            NOW,
            T,
            kind(Kind.NONE)),
        new Row(
            "2. yielded, timer: wait out the yield",
            fresh().notBefore(NOW + 5 * S),
            Decision.DUE,
            NOW,
            T,
            waits(NOW + 5 * S)),
        new Row(
            "2. holder live, watch delivering, timer: wait for its expiry, no read",
            saw(other, NOW - S).watching(true),
            Decision.DUE,
            NOW,
            T,
            waits(NOW + 14 * S)),
        new Row(
            "2. holder live, no watch, timer: poll",
            saw(other, NOW - S),
            Decision.DUE,
            NOW,
            T,
            kind(Kind.READ)),
        new Row(
            "2. absent, nothing seen: create a new term from 0",
            fresh(),
            fetched(null),
            NOW,
            T,
            newTerm(Kind.CREATE, 0, null)),
        new Row(
            "2. absent, last holder seen may be live: wait for its expiry",
            saw(other, NOW - S),
            fetched(null),
            NOW,
            T,
            waits(NOW + 14 * S)),
        new Row(
            "2. absent, last holder expired: create, continuing its transitions",
            saw(other, NOW - 20 * S),
            fetched(null),
            NOW,
            T,
            newTerm(Kind.CREATE, 5, null)),
        new Row(
            "2. absent while leading: re-create keeping the term",
            leading(ours),
            fetched(null),
            NOW,
            T,
            keeps(Kind.CREATE, 4, "10")),
        // 3. Observe
        new Row(
            "3. held by another, just changed: wait for expiry or the next poll",
            fresh(),
            fetched(other),
            NOW,
            T,
            waits(NOW + 2 * S)),
        new Row(
            "3. held by another, just changed, watch delivering: wait for expiry",
            fresh().watching(true),
            fetched(other),
            NOW,
            T,
            waits(NOW + 15 * S)),
        new Row(
            "3. unchanged for leaseDuration as observed locally: take it",
            saw(other, NOW - 15 * S),
            fetched(other),
            NOW,
            T,
            newTerm(Kind.UPDATE, 5, "10")),
        new Row(
            "3. one ns before the observed expiry: not yet",
            saw(other, NOW - 15 * S + 1),
            fetched(other),
            NOW,
            T,
            waits(NOW + 1)),
        new Row(
            "3. a changed record restarts the wait",
            saw(other, NOW - 20 * S),
            fetched(rec("other", 15, 5, "12")),
            NOW,
            T,
            waits(NOW + 2 * S)),
        new Row(
            "3. a new version with the same spec (labels) does not restart the wait",
            saw(other, NOW - 20 * S),
            fetched(rec("other", 15, 4, "12")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 5, "12")),
        new Row(
            "3. expiry by the record's own leaseDurationSeconds (3 s)",
            saw(short3, NOW - 3 * S),
            fetched(short3),
            NOW,
            T,
            newTerm(Kind.UPDATE, 5, "10")),
        new Row(
            "3. null leaseDurationSeconds: own leaseDuration",
            saw(rec("x", null, 2, "3"), NOW - 14 * S),
            fetched(rec("x", null, 2, "3")),
            NOW,
            T,
            waits(NOW + S)),
        new Row(
            "3. zero leaseDurationSeconds: own leaseDuration",
            saw(rec("x", 0, 2, "3"), NOW - 15 * S),
            fetched(rec("x", 0, 2, "3")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 3, "3")),
        new Row(
            "3. negative leaseDurationSeconds: own leaseDuration",
            saw(rec("x", -5, 2, "3"), NOW - 14 * S),
            fetched(rec("x", -5, 2, "3")),
            NOW,
            T,
            waits(NOW + S)),
        new Row(
            "3. an empty holder is free at once",
            fresh(),
            fetched(rec("", 1, 6, "7")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 7, "7")),
        new Row(
            "3. a null holder is free at once",
            fresh(),
            fetched(rec(null, 15, 1, "7")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 2, "7")),
        new Row(
            "3. all fields null: free, transitions read as 0",
            fresh(),
            fetched(LeaseRecord.empty().withVersion("1")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 1, "1")),
        new Row(
            "3. null transitions read as 0",
            saw(rec("x", 3, null, "3"), NOW - 3 * S),
            fetched(rec("x", 3, null, "3")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 1, "3")),
        new Row(
            "3. negative transitions read as 0",
            saw(rec("x", 3, -4, "3"), NOW - 3 * S),
            fetched(rec("x", 3, -4, "3")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 1, "3")),
        new Row(
            "3. renewTime in the future does not delay",
            fresh(),
            fetched(new LeaseRecord("", 15, EARLIER, WALL.plusSeconds(3600), 1, null, null, "2")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 2, "2")),
        new Row(
            "3. the API server's clock shows it unwritten for 2 x its duration: take it",
            fresh(),
            fetched(other.withWrittenAgo(Duration.ofSeconds(30))),
            NOW,
            T,
            newTerm(Kind.UPDATE, 5, "10")),
        new Row(
            "3. written less than 2 x its duration ago by the server clock: wait",
            fresh(),
            fetched(other.withWrittenAgo(Duration.ofSeconds(29))),
            NOW,
            T,
            waits(NOW + 2 * S)),
        new Row(
            "3. a read older than the record known (by version) is ignored",
            saw(rec("other", 15, 5, "12"), NOW - S),
            fetched(rec("", 1, 4, "10")),
            NOW,
            T,
            o -> {
              assertThat(o.knowledge().observed()).isEqualTo(rec("other", 15, 5, "12"));
              assertThat(o.action().kind()).isEqualTo(Kind.WAIT);
            }),
        new Row(
            "3. leading, the read shows our term: renew on the version read",
            leading(mine(4, "10")),
            fetched(mine(4, "11")),
            NOW,
            T,
            keeps(Kind.UPDATE, 4, "11")),
        new Row(
            "3. leading, held by another: the term ends, then wait as a candidate",
            leading(ours),
            fetched(rec("other", 15, 5, "12")),
            NOW,
            T,
            ends(EndReason.LOST, waits(NOW + 2 * S))),
        new Row(
            "3. leading, released by someone else: the term ends, take it as a new term",
            leading(ours),
            fetched(rec("", 1, 4, "12")),
            NOW,
            T,
            ends(EndReason.LOST, newTerm(Kind.UPDATE, 5, "12"))),
        new Row(
            "3. leading without rejoin, held by another: the term ends, stop",
            leading(ours),
            fetched(rec("other", 15, 5, "12")),
            NOW,
            NO_REJOIN,
            ends(EndReason.LOST, kind(Kind.NONE))),
        new Row(
            "3. names this identity, no term of ours: another process, wait as for another",
            fresh(),
            fetched(impostor),
            NOW,
            T,
            duplicate(waits(NOW + 2 * S))),
        new Row(
            "3. leading, names this identity with another term: the term ends, loudly",
            leading(ours),
            fetched(impostor),
            NOW,
            T,
            duplicate(ends(EndReason.LOST, waits(NOW + 2 * S)))),
        new Row(
            "3. another process with this identity stopped renewing: taken after expiry",
            saw(impostor, NOW - 15 * S),
            fetched(impostor),
            NOW,
            T,
            duplicate(newTerm(Kind.UPDATE, 10, "11"))),
        new Row(
            "3. our own earlier term (a write we sent): a new term at once",
            fresh().sending(ours),
            fetched(ours),
            NOW,
            T,
            newTerm(Kind.UPDATE, 5, "10")),
        // 4. Build
        new Row(
            "4. leaseTransitions at Integer.MAX_VALUE: the next term counts from 0",
            fresh(),
            fetched(rec("", 1, Integer.MAX_VALUE, "9")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 0, "9")),
        new Row(
            "4. strategy and preferredHolder are kept on takeover",
            fresh(),
            fetched(
                new LeaseRecord("", 1, EARLIER, EARLIER, 1, "OldestEmulationVersion", "x", "2")),
            NOW,
            T,
            o -> {
              LeaseRecord r = java.util.Objects.requireNonNull(o.action().record());
              assertThat(r.strategy()).isEqualTo("OldestEmulationVersion");
              assertThat(r.preferredHolder()).isEqualTo("x");
            }),
        // Pushed by the watch: decided like a read, never trusted to end a term
        new Row(
            "watch: a released Lease is taken with one write on the pushed version",
            saw(other, NOW - S).watching(true),
            pushed(rec("", 1, 4, "11")),
            NOW,
            T,
            newTerm(Kind.UPDATE, 5, "11")),
        new Row(
            "watch: deleted while its holder may be live: wait for its expiry",
            saw(other, NOW - S).watching(true),
            pushed(null),
            NOW,
            T,
            waits(NOW + 14 * S)),
        new Row(
            "watch: leading, the echo of our own write: nothing",
            leading(ours),
            pushed(mine(4, "11")),
            NOW,
            T,
            kind(Kind.NONE)),
        new Row(
            "watch: leading, someone else's record: verify with a renewal, no step-down",
            leading(ours),
            pushed(rec("other", 15, 5, "12")),
            NOW,
            T,
            o -> {
              assertThat(o.action().kind()).isEqualTo(Kind.RENEW);
              assertThat(o.action().ends()).isNull();
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    row.expect().accept(Decision.decide(row.k(), row.reading(), row.now(), WALL, row.t(), 0.0));
  }

  // --- after a failed call ----------------------------------------------------------------------

  @Test
  void aConflictReadsAtOnce() {
    assertThat(Decision.afterFailure(fresh(), Kind.UPDATE, true, null, NOW, T, 0.5).kind())
        .isEqualTo(Kind.READ);
  }

  @Test
  void aFailedFastPathRenewalReadsAtOnce() {
    assertThat(
            Decision.afterFailure(leading(mine(1, "2")), Kind.RENEW, false, null, NOW, T, 0).kind())
        .isEqualTo(Kind.READ);
  }

  @Test
  void aCandidateWithAWatchRetriesAfterRetryPeriodNotLeaseDuration() {
    Action a = Decision.afterFailure(fresh().watching(true), Kind.READ, false, null, NOW, T, 0.5);
    assertThat(a.at()).isEqualTo(NOW + (long) (2 * S * 1.6));
  }

  @Test
  void retryAfterIsHonouredUpToLeaseDuration() {
    Action a = Decision.afterFailure(fresh(), Kind.READ, false, Duration.ofSeconds(5), NOW, T, 0);
    assertThat(a.at()).isEqualTo(NOW + 5 * S);
    Action hour = Decision.afterFailure(fresh(), Kind.READ, false, Duration.ofHours(1), NOW, T, 0);
    assertThat(hour.at()).as("an hour is clamped to leaseDuration").isEqualTo(NOW + 15 * S);
  }

  @Test
  void aRetryAfterTooLargeForNanosecondsIsClampedWithoutOverflow() {
    Action a =
        Decision.afterFailure(
            fresh(), Kind.READ, false, Duration.ofSeconds(99_999_999_999L), NOW, T, 0);
    assertThat(a.at()).isEqualTo(NOW + 15 * S);
  }

  @Test
  void aLeaderIgnoresRetryAfterItsDeadlineBoundsTheWait() {
    Action a =
        Decision.afterFailure(
            leading(mine(1, "2")), Kind.READ, false, Duration.ofSeconds(30), NOW, T, 0);
    assertThat(a.at()).isEqualTo(NOW + 2 * S);
  }
}
