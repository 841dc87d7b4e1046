package dev.leaderelection.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What one elector knows when it decides. Immutable: every step of the election makes a new one, so
 * the {@link Decision} and the model check work on plain values.
 *
 * @param identity this elector's identity
 * @param held the record this elector's current term last stored, or {@code null} when it does not
 *     lead; its version is the one the next renewal writes on
 * @param observed the last record seen (read, pushed by the watch, or written by this elector),
 *     kept after the Lease was found absent so that its holder's expiry is still known
 * @param absent whether the last look found the Lease absent
 * @param observedAt monotonic time at which {@code observed} was first seen with its current spec
 * @param mine the marks ({@code acquireTime}, {@code leaseTransitions}) of the terms this elector
 *     wrote most recently, newest first: a record naming this identity is this elector's own only
 *     if it carries one of them
 * @param notBefore monotonic time before which this elector does not take the Lease (after a
 *     yield), or {@code null}
 * @param competing whether this elector still tries to lead
 * @param watching whether a watch is delivering changes of the Lease
 */
record Knowledge(
    String identity,
    @Nullable LeaseRecord held,
    @Nullable LeaseRecord observed,
    boolean absent,
    long observedAt,
    List<Mark> mine,
    @Nullable Long notBefore,
    boolean competing,
    boolean watching) {

  /**
   * How many of its own recent terms an elector remembers. A mark is forgotten when its write
   * surely did not land (a conflict); only writes whose outcome is unknown (a timeout, a lost
   * answer) pile up, so this bound is met only in a long outage. Past it, the oldest is forgotten:
   * if that write did land after all, its record is taken for another process's, which costs a
   * leaseDuration's wait and a false alarm, never a second leader.
   */
  static final int MARKS_KEPT = 64;

  /** What identifies one term in a record: it is written by the term's first write and kept. */
  record Mark(@Nullable Instant acquireTime, @Nullable Integer leaseTransitions) {
    static Mark of(LeaseRecord r) {
      return new Mark(r.acquireTime(), r.leaseTransitions());
    }
  }

  Knowledge {
    mine = List.copyOf(mine);
  }

  /** {@return what a new elector knows: nothing} */
  static Knowledge initial(String identity) {
    return new Knowledge(identity, null, null, false, 0, List.of(), null, true, false);
  }

  boolean leading() {
    return held != null;
  }

  /** {@return whether {@code r} names this identity and carries the mark of one of its terms} */
  boolean ours(LeaseRecord r) {
    return r.isHeldBy(identity) && mine.contains(Mark.of(r));
  }

  /** {@return whether {@code r} names this identity but was written by someone else} */
  boolean namesUsButIsNotOurs(LeaseRecord r) {
    return r.isHeldBy(identity) && !ours(r);
  }

  /**
   * Step 3 of the algorithm: remember {@code r} (or the absence of the Lease, if null) and, if its
   * spec differs from the last one seen, the time. A record older than the one known (by version,
   * where versions are numbers) is stale and ignored.
   */
  Knowledge observe(@Nullable LeaseRecord r, long now) {
    if (r == null) {
      // Keep the last record and when it was seen: its holder's lease may still be live.
      return absent
          ? this
          : with(held, observed, true, observedAt, mine, notBefore, competing, watching);
    }
    if (!absent && observed != null && olderThan(r, observed)) {
      return this;
    }
    boolean changed = absent || !r.sameSpecAs(observed);
    return with(held, r, false, changed ? now : observedAt, mine, notBefore, competing, watching);
  }

  /** {@return whether {@code a}'s version is a number lower than {@code b}'s} */
  static boolean olderThan(LeaseRecord a, LeaseRecord b) {
    Long va = numeric(a.version());
    Long vb = numeric(b.version());
    return va != null && vb != null && va < vb;
  }

  /** {@return {@code version} as a number, or null if it is none} */
  static @Nullable Long numeric(@Nullable String version) {
    if (version == null || version.isEmpty() || version.length() > 18) {
      return null;
    }
    for (int i = 0; i < version.length(); i++) {
      if (version.charAt(i) < '0' || version.charAt(i) > '9') {
        return null;
      }
    }
    return Long.parseLong(version);
  }

  /**
   * {@return this with the mark of {@code r}, a write this elector is about to send, remembered}
   */
  Knowledge sending(LeaseRecord r) {
    Mark m = Mark.of(r);
    if (!mine.isEmpty() && mine.get(0).equals(m)) {
      return this;
    }
    List<Mark> marks = new ArrayList<>(mine.size() + 1);
    marks.add(m);
    for (Mark old : mine) {
      if (marks.size() < MARKS_KEPT && !old.equals(m)) {
        marks.add(old);
      }
    }
    return with(held, observed, absent, observedAt, marks, notBefore, competing, watching);
  }

  /**
   * {@return this without the mark of {@code sent}, a new term's write that surely did not land}
   */
  Knowledge forget(LeaseRecord sent) {
    Mark m = Mark.of(sent);
    if (held != null && Mark.of(held).equals(m)) {
      return this;
    }
    List<Mark> marks = new ArrayList<>(mine);
    marks.remove(m);
    return with(held, observed, absent, observedAt, marks, notBefore, competing, watching);
  }

  /** {@return this after a write of this elector's term stored {@code stored}: it leads} */
  Knowledge stored(LeaseRecord stored, long now) {
    Knowledge k = observe(stored, now);
    return with(stored, k.observed, k.absent, k.observedAt, mine, notBefore, competing, watching);
  }

  /** {@return this after its term ended; it competes again only if {@code rejoin}} */
  Knowledge termEnded(boolean rejoin) {
    return with(null, observed, absent, observedAt, mine, notBefore, competing && rejoin, watching);
  }

  Knowledge notBefore(@Nullable Long at) {
    return with(held, observed, absent, observedAt, mine, at, competing, watching);
  }

  Knowledge watching(boolean delivering) {
    return delivering == watching
        ? this
        : with(held, observed, absent, observedAt, mine, notBefore, competing, delivering);
  }

  /** {@return whether {@link #notBefore()} is still ahead at {@code now}} */
  boolean waitingOut(long now) {
    return notBefore != null && now - notBefore < 0;
  }

  /**
   * {@return the monotonic time at which the observed record expires: {@code observedAt} plus the
   * record's own lease duration (this elector's if the record has none that is positive)}
   */
  long expiry(long ownLeaseNanos) {
    return observedAt + leaseNanosOf(Objects.requireNonNull(observed), ownLeaseNanos);
  }

  /**
   * {@return {@code r}'s lease duration in nanoseconds: its {@code leaseDurationSeconds}, or {@code
   * ownLeaseNanos} where that is missing, zero or negative}
   */
  static long leaseNanosOf(LeaseRecord r, long ownLeaseNanos) {
    Integer seconds = r.leaseDurationSeconds();
    return seconds != null && seconds > 0 ? TimeUnit.SECONDS.toNanos(seconds) : ownLeaseNanos;
  }

  /**
   * {@return whether the last holder seen is someone else (or a process sharing this identity) and
   * its lease, as observed, may still be live at {@code now}}
   */
  boolean othersLeaseLive(long now, long ownLeaseNanos) {
    LeaseRecord o = observed;
    return o != null && o.isHeld() && !ours(o) && now - expiry(ownLeaseNanos) < 0;
  }

  private Knowledge with(
      @Nullable LeaseRecord held,
      @Nullable LeaseRecord observed,
      boolean absent,
      long observedAt,
      List<Mark> mine,
      @Nullable Long notBefore,
      boolean competing,
      boolean watching) {
    return new Knowledge(
        identity, held, observed, absent, observedAt, mine, notBefore, competing, watching);
  }
}
