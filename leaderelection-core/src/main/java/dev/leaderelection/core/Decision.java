package dev.leaderelection.core;

import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The election's one decision, as a pure function: from what an elector knows, what it just read
 * (or was pushed, or nothing when its timer fired), the time and the timing, to the next action. No
 * I/O, no scheduler, no logging: the action carries the reason to log. The read path, the watch
 * path and the timer all call {@link #decide}; {@link #afterFailure} decides what follows a failed
 * call. The model check explores exactly this code.
 */
final class Decision {
  private Decision() {}

  /** The configuration, in the units the decision uses. */
  record Timing(long leaseNanos, long renewDeadlineNanos, long retryNanos, boolean rejoin) {
    static Timing of(LeaderElectionConfig c) {
      return new Timing(
          c.leaseDuration().toNanos(),
          c.renewDeadline().toNanos(),
          c.retryPeriod().toNanos(),
          c.rejoinAfterLoss());
    }

    int leaseSeconds() {
      return (int) (leaseNanos / 1_000_000_000L);
    }

    /** {@return when a candidate polls next: {@code retryPeriod × [1, 1 + JITTER_FACTOR)}} */
    long retryAt(long now, double jitter) {
      return now + (long) (retryNanos * (1 + jitter * LeaderElectionConfig.JITTER_FACTOR));
    }
  }

  /** What the decision is about. */
  sealed interface Reading {
    /** The timer fired: nothing new was read; decide on what is known. */
    record Due() implements Reading {}

    /** A read answered: the Lease, or empty if it does not exist. */
    record Fetched(Optional<LeaseRecord> lease) implements Reading {}

    /** The watch told of a change: the record, or null if the Lease was deleted. Only a hint. */
    record Pushed(@Nullable LeaseRecord lease) implements Reading {}
  }

  static final Reading DUE = new Reading.Due();

  /** What to do next. */
  enum Kind {
    /** Read the Lease now. */
    READ,
    /** Fast path: compare-and-swap the term's cached record, with no read before it. */
    RENEW,
    /** Create the Lease with {@link Action#record()}. */
    CREATE,
    /** Compare-and-swap {@link Action#record()} on its version. */
    UPDATE,
    /** Nothing until {@link Action#at()} (or a change pushed by the watch). */
    WAIT,
    /** Nothing; keep whatever is already planned. */
    NONE
  }

  /**
   * The next action.
   *
   * @param kind what to do
   * @param record for a write: the record to write, carrying the version it is based on
   * @param newTerm for a write: whether its success begins a new term (else it renews the current)
   * @param at for {@code WAIT}: when to decide again (monotonic)
   * @param ends if the current term must end first, why; else null
   * @param duplicate whether the Lease names this identity but was written by another process
   * @param why what happened, to log
   */
  record Action(
      Kind kind,
      @Nullable LeaseRecord record,
      boolean newTerm,
      long at,
      @Nullable EndReason ends,
      boolean duplicate,
      String why) {
    static Action read(String why) {
      return new Action(Kind.READ, null, false, 0, null, false, why);
    }

    static Action write(boolean create, LeaseRecord r, boolean newTerm, String why) {
      return new Action(create ? Kind.CREATE : Kind.UPDATE, r, newTerm, 0, null, false, why);
    }

    static Action renew(LeaseRecord r, String why) {
      return new Action(Kind.RENEW, r, false, 0, null, false, why);
    }

    static Action waitUntil(long at, String why) {
      return new Action(Kind.WAIT, null, false, at, null, false, why);
    }

    static Action none(String why) {
      return new Action(Kind.NONE, null, false, 0, null, false, why);
    }

    Action ending(@Nullable EndReason reason, boolean dup) {
      return new Action(kind, record, newTerm, at, reason, dup || duplicate, why);
    }
  }

  /** The decision: the knowledge to keep and the action to take. */
  record Outcome(Knowledge knowledge, Action action) {}

  /**
   * Decides the next action.
   *
   * @param k what this elector knows
   * @param reading what it just read, was pushed, or {@link #DUE} when its timer fired
   * @param now monotonic time
   * @param wall wall-clock time, written into the records it builds
   * @param t the timing
   * @param jitter a random number in [0, 1) for the candidate's next poll
   */
  static Outcome decide(
      Knowledge k, Reading reading, long now, Instant wall, Timing t, double jitter) {
    // 1. Fast path: leading and nothing new read: renew the cached record; no read.
    if (reading instanceof Reading.Due && k.held() != null) {
      return new Outcome(k, Action.renew(keep(k.held(), k, wall, t), "renew"));
    }
    // 2. Obtain the record: read it (a candidate's timer), or take what was read or pushed.
    if (reading instanceof Reading.Due) {
      Action wait = candidateWait(k, now);
      if (wait == null && k.watching() && k.othersLeaseLive(now, t.leaseNanos())) {
        // The watch shows every change: nothing to read before the holder's lease could expire.
        wait = Action.waitUntil(k.expiry(t.leaseNanos()), "the watch shows the holder renewing");
      }
      return new Outcome(k, wait != null ? wait : Action.read("look"));
    }
    boolean pushed = reading instanceof Reading.Pushed;
    @Nullable LeaseRecord r =
        reading instanceof Reading.Fetched f
            ? f.lease().orElse(null)
            : ((Reading.Pushed) reading).lease();
    // 3. Observe: remember a changed record and when it was first seen.
    Knowledge before = k;
    k = k.observe(r, now);
    LeaseRecord known = k.observed();
    if (r != null && known != null && Knowledge.olderThan(r, known)) {
      r = known; // the reading is older than the record known: decide on the newer one
    }
    LeaseRecord held = k.held();
    if (pushed && held != null) {
      // Only a hint: a renewal now verifies it (a conflict then reads); a push never ends a term.
      return new Outcome(
          k,
          r != null && k.ours(r)
              ? Action.none("own write echoed")
              : Action.renew(keep(held, k, wall, t), "pushed a change"));
    }
    if (r == null) {
      if (held != null) {
        // Deleted under the leader: re-create it, keeping this term.
        return new Outcome(k, Action.write(true, keep(held, k, wall, t), false, "re-create"));
      }
      Action wait = candidateWait(k, now);
      if (wait != null) {
        return new Outcome(k, wait);
      }
      if (before.othersLeaseLive(now, t.leaseNanos())) {
        return new Outcome(
            k, Action.waitUntil(before.expiry(t.leaseNanos()), "deleted; its holder may be live"));
      }
      LeaseRecord last = k.observed();
      return new Outcome(k, Action.write(true, newTerm(last, null, k, wall, t), true, "create"));
    }
    boolean duplicate = k.namesUsButIsNotOurs(r);
    EndReason ends = null;
    if (k.held() != null) {
      if (k.ours(r)) {
        return new Outcome(k, Action.write(false, keep(r, k, wall, t), false, "renew after read"));
      }
      ends = EndReason.LOST; // held by someone else (or by another process with this identity)
      k = k.termEnded(t.rejoin());
    }
    Action wait = candidateWait(k, now);
    if (wait != null) {
      return new Outcome(k, wait.ending(ends, duplicate));
    }
    if (r.isHeld() && !k.ours(r) && k.othersLeaseLive(now, t.leaseNanos())) {
      if (!(reading instanceof Reading.Fetched) || !abandonedOnServer(r, t)) {
        long expiry = k.expiry(t.leaseNanos());
        long next =
            k.watching() ? expiry : Math.min(expiry - now, t.retryAt(now, jitter) - now) + now;
        return new Outcome(k, Action.waitUntil(next, "held").ending(ends, duplicate));
      }
    }
    // 4. Build a new term: free, expired, abandoned, or this elector's own from an earlier term.
    // 5. Write it: compare-and-swap on the version just read; a conflict means someone wrote first.
    String why = !r.isHeld() ? "free" : k.ours(r) ? "own earlier term" : "expired";
    return new Outcome(
        k, Action.write(false, newTerm(r, r, k, wall, t), true, why).ending(ends, duplicate));
  }

  /** {@return a wait for a candidate that is not competing or waits out a yield, else null} */
  private static @Nullable Action candidateWait(Knowledge k, long now) {
    if (!k.competing()) {
      return Action.none("not competing");
    }
    if (k.waitingOut(now)) {
      return Action.waitUntil(java.util.Objects.requireNonNull(k.notBefore()), "yielded");
    }
    return null;
  }

  /**
   * What follows a failed call of kind {@code failed}: after a conflict, read at once (someone
   * wrote; the record changed); after a failed fast-path renewal, read at once (client-go's slow
   * path); otherwise try again after {@code retryPeriod} (a candidate with jitter, as without a
   * watch), or later if the server asked, by at most {@code leaseDuration} (a leader ignores the
   * hint: its deadline bounds the wait).
   */
  static Action afterFailure(
      Knowledge k,
      Kind failed,
      boolean conflict,
      @Nullable Duration retryAfter,
      long now,
      Timing t,
      double jitter) {
    if (conflict || failed == Kind.RENEW) {
      return Action.read(conflict ? "conflict" : "renewal failed");
    }
    if (k.leading()) {
      return Action.waitUntil(now + t.retryNanos(), "failed"); // the term's deadline bounds it
    }
    long next = t.retryAt(now, jitter);
    if (retryAfter != null && !retryAfter.isNegative()) {
      long hint =
          retryAfter.compareTo(Duration.ofNanos(t.leaseNanos())) > 0
              ? t.leaseNanos()
              : retryAfter.toNanos();
      next = Math.max(next - now, hint) + now;
    }
    return Action.waitUntil(next, "failed");
  }

  /** Step 4, renewing: keep acquireTime and leaseTransitions; renewTime now. */
  static LeaseRecord keep(LeaseRecord base, Knowledge k, Instant wall, Timing t) {
    return new LeaseRecord(
        k.identity(),
        t.leaseSeconds(),
        base.acquireTime(),
        micros(wall),
        base.leaseTransitions(),
        base.strategy(),
        base.preferredHolder(),
        base.version());
  }

  /**
   * Step 4, a new term: {@code acquireTime = renewTime = now}, {@code leaseTransitions + 1}; at
   * {@code Integer.MAX_VALUE} the count starts again at 0 (the fencing token does not depend on
   * it).
   */
  static LeaseRecord newTerm(
      @Nullable LeaseRecord last, @Nullable LeaseRecord base, Knowledge k, Instant wall, Timing t) {
    int transitions = 0;
    if (last != null && last.leaseTransitions() != null && last.leaseTransitions() >= 0) {
      transitions = last.leaseTransitions() == Integer.MAX_VALUE ? 0 : last.leaseTransitions() + 1;
    } else if (last != null) {
      transitions = 1; // missing or negative: read as 0
    }
    Instant now = micros(wall);
    return new LeaseRecord(
        k.identity(),
        t.leaseSeconds(),
        now,
        now,
        transitions,
        base == null ? null : base.strategy(),
        base == null ? null : base.preferredHolder(),
        base == null ? null : base.version());
  }

  /**
   * Whether the backend's own clock shows {@code r} unwritten for at least twice its lease
   * duration: its holder then stopped leading long ago (at most renewDeadline after the start of
   * its last successful write), so a fresh candidate need not watch it for a leaseDuration first.
   */
  static boolean abandonedOnServer(LeaseRecord r, Timing t) {
    Duration ago = r.writtenAgo();
    if (ago == null) {
      return false;
    }
    long d = Knowledge.leaseNanosOf(r, t.leaseNanos());
    return ago.compareTo(Duration.ofNanos(d).multipliedBy(2)) >= 0;
  }

  static Instant micros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }
}
