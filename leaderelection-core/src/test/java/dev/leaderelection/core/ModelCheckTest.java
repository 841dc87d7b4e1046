package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.leaderelection.core.Decision.Action;
import dev.leaderelection.core.Decision.Kind;
import dev.leaderelection.core.Decision.Outcome;
import dev.leaderelection.core.Decision.Reading;
import dev.leaderelection.core.Leadership.EndReason;
import dev.leaderelection.core.LeaseLockException.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A bounded, exhaustive model check of the real decision code: {@link Decision#decide}, {@link
 * Decision#afterFailure}, {@link Knowledge}, {@link Term#tokenOf} and {@link LockCalls}' error
 * classification run unchanged, driven exactly as {@link Election} drives them (the driver {@link
 * Proc} mirrors Election, Attempts, LockCalls, CandidateWatch and Release rule by rule, as a step
 * function over immutable state), against a compare-and-swap store, with faults. Every interleaving
 * of the events due at each tick is explored; a visited set over the whole state makes it
 * exhaustive within the bounds.
 *
 * <p><b>Model.</b> Time advances in ticks of 500 ms; at each tick every due event runs, in every
 * order: an elector's attempt timer, its term-deadline timer, a call's timeout, a release retry, a
 * request reaching the store, an answer or a watch event reaching an elector. leaseDuration 4 s,
 * renewDeadline 3 s, retryPeriod 1 s, jitter 0; call timeout min(time left in the term, 1.5 s).
 * Each elector has its own monotonic clock (rate 0.9, 1.0 or 1.1 of global time) and wall clock
 * (EPOCH + its monotonic clock + a microsecond of its own). A request reaches the store in the next
 * tick and its answer comes back in that tick; a watch event arrives in the tick after the change.
 * The store is InMemoryLease's: versions grow with every write and never reset (not after a delete
 * either); GET; CREATE (conflict if it exists); UPDATE (conflict on another version, NOT_FOUND if
 * absent); a watch gets every change and, on opening, "healthy". Candidates watch where the backend
 * can (opened when an attempt ends without a term, closed when a term begins); others poll.
 *
 * <p><b>Faults</b> (at most 2 per run, 1 with three electors; only until 5 s; explored at every
 * place they can strike): a request lost, or held up 4 ticks (it lands after its call timed out);
 * an answer lost, 2 ticks late, or delivered twice; a freeze of 5 s (> leaseDuration) or a crash;
 * the Lease deleted by a third party (once); a watch event lost or 3 ticks late; a watch that
 * stalls (says it does not deliver and delivers nothing) and reconnects 2 s later (a re-list pushes
 * the current record) or never. Not a fault: a leader may close (stop, then release the Lease)
 * once.
 *
 * <p><b>Invariants</b>, checked on every state explored:
 *
 * <ol>
 *   <li>No two validity windows overlap in global time (a window is [validFrom, validUntil) on the
 *       elector's clock, converted exactly; an ended one closes when it ended). The one exception,
 *       the documented deleted-Lease bound: a term begun by a create that re-created a Lease a
 *       third party deleted, by an elector that had not seen a live holder within leaseDuration,
 *       may overlap the deposed leader's window by at most retryPeriod + one call timeout (on the
 *       deposed leader's clock), and the deposed window never extends after the re-creation.
 *   <li>Fencing tokens strictly increase in the order terms begin (so no token names two terms).
 *   <li>Liveness, from the last fault (an unfreeze, a reconnect, a late delivery count as faults; a
 *       crash, a close, a watch that stalls for good do not end): <br>
 *       L1: an elector leads within leaseDuration + renewDeadline + 3 × retryPeriod on the slowest
 *       clock, + 3 ticks (12.6 s) of the last fault or the last leader; <br>
 *       L2: once a running candidate knows the Lease as stored, it (or another) leads within 3
 *       ticks (timer rounding, read, write) of the later of (the last fault or last leader + call
 *       timeout + retryPeriod on its clock: a failed call is retried after retryPeriod) and (when
 *       it may take it: for a record held by another, leaseDuration after it first saw it; free,
 *       its own, or absent and never held: when it saw it); a polling candidate that has not yet
 *       seen a released Lease may take it retryPeriod after it was released; <br>
 *       polling: a candidate whose watch does not deliver has its next attempt planned within
 *       retryPeriod (the LeaseLock contract), unless it has seen the Lease deleted (it then waits
 *       out the last holder's lease, by design).
 * </ol>
 *
 * <p><b>Clean run</b> (2 cores shared with other builds, JDK 17; states / max depth in steps /
 * seconds): two pollers 0.9|1.1 509,632 / 140 / 3.1, 1.0|1.0 785,598 / 149 / 2.0; watcher + poller
 * 0.9|1.1 367,705 / 142 / 1.3, 1.1|0.9 443,577 / 152 / 1.7; one identity twice 0.9|1.1 287,383 /
 * 134 / 0.7, 1.1|0.9 395,057 / 143 / 1.0; two watchers, the leader may close 1,497,474 / 140 / 6.6;
 * Lease deleted 753,889 / 173 / 4.9 and 895,290 / 180 / 2.8; three electors 2,057,640 / 180 / 6.3.
 * In all 7,993,245 states in 30-38 s. Longest leaderless stretch after a fault 10.5 s (L1 bound
 * 12.6 s); the latest leader came 0.136 s before its L2 bound (L2 is tight).
 *
 * <p><b>Seeded bugs</b>, each seeded alone into a scratch copy, the test run, then reverted (how
 * many of the 10 configurations fail; which invariant; the shortest counterexample):
 *
 * <ul>
 *   <li>(a) validUntil = start + 2 × renewDeadline. Seeded in this test's mirror of
 *       Election.acquired and Election.renewed (Election computes it itself, from no place the
 *       mirror could share): 10 of 10; invariant 1 (overlap) or 2 (token goes backwards); 29 steps.
 *   <li>(b) Knowledge.expiry judged from the record's renewTime against the own wall clock: 9 of 10
 *       (all but equal clocks); invariant 3 L2 (a reader whose wall clock is behind the writer's
 *       waits too long) in 6, invariant 1 in 3 (a re-creation over a holder seen live; with three
 *       electors a plain overlap, 111 steps); 46 steps.
 *   <li>(c) Knowledge.ours(r) = r.isHeldBy(identity): 2 of 10 (both with one identity twice);
 *       invariant 1; 19 steps.
 *   <li>(d) Decision.decide creates an absent Lease at once, though the last holder seen may be
 *       live: 3 of 10 (those with a delete); invariant 1, by its rule that the deleted-Lease
 *       exception is only for a re-creator that had not seen a live holder: the overlaps (0.23-0.5
 *       s) are within the deleted-Lease bound (2.27 s), which alone would not catch it; 27 steps.
 *   <li>(e) Decision.afterFailure: a watching candidate waits leaseDuration × (1 + jitter × 1.2): 8
 *       of 10 (all with a watcher); invariant 3 L2; 31 steps.
 *   <li>(f) Election.watch without its know(k.watching(...)): the stale "watching" of a closed
 *       watch, the defect the current Election.watch fixes (in the mirror): 3 of 10; invariant 3
 *       polling; 44 steps.
 * </ul>
 *
 * <p><b>Found in the main code</b> (neither violates the invariants as checked here):
 *
 * <ul>
 *   <li>(Fixed since: InMemoryLease's watch, like a Kubernetes watch after its initial list, now
 *       delivers the current record on opening, and the LeaseLock SPI requires it; the mirror does
 *       the same.) A watch was trusted for changes made before it began. Clocks 1.0|1.0, e0
 *       watches: e0's read (stored v1) is answered just as e0 freezes (1.5-6.5 s); e1 renews (v2,
 *       2.0 s) and crashes. At 6.5 s e0 takes the old answer (v1, first seen now), waits
 *       retryPeriod, opens its watch (healthy at 7.0 s); at 7.5 s the due decision sees a
 *       delivering watch and waits for v1's expiry without reading ("the watch shows the holder
 *       renewing"). v2 was stored before the watch began, so no watch pushes it (InMemoryLease's
 *       watch only says healthy); e0 sees v2 at 10.5 s, first, and waits another leaseDuration: it
 *       leads at 16 s, where a poller would at 13 s. The longest leaderless stretches above (10.5
 *       s) are this pattern. fabric8's watcher lists and pushes the current record when it starts,
 *       which closes the gap there.
 *   <li>Duplicate-identity detection needs each process's term marks (acquireTime in microseconds,
 *       leaseTransitions) to differ. With the per-process microsecond taken out of the wall clocks
 *       and equal clocks, two processes of one identity both create at 0.5 s with the same mark;
 *       one's create is lost (its mark kept: the outcome is unknown), the other's is stored; the
 *       first takes that record for its own earlier term and begins a term over it: two windows
 *       overlap by 0.5 s (23 steps). This test gives each process its own microsecond.
 * </ul>
 */
class ModelCheckTest {

  // ---- Time and timing ----

  /** Global time advances in ticks; every event due at a tick runs, in every order. */
  private static final long TICK = 500_000_000L;

  private static final Decision.Timing TIMING =
      new Decision.Timing(4_000_000_000L, 3_000_000_000L, 1_000_000_000L, true);

  /** Election.callCapNanos: a call's timeout is the time left in the term, at most this. */
  private static final long CAP = Math.max(TIMING.retryNanos(), TIMING.renewDeadlineNanos() / 2);

  private static final double JITTER = 0.0;

  /** Wall clocks: EPOCH + the elector's own monotonic clock (they drift apart with the rates). */
  private static final Instant EPOCH = Instant.parse("2030-01-01T00:00:00Z");

  /**
   * Exact global time in "G units": a local time of an elector whose clock runs at p % is local ×
   * (9900 / p) G (p ∈ {90, 100, 110}); a global nanosecond is 99 G.
   */
  private static final long G_PER_NANO = 99;

  private static final long G_PER_TICK = TICK * G_PER_NANO;

  /** A freeze lasts 10 ticks = 5 s, longer than leaseDuration. */
  private static final int FREEZE_TICKS = 10;

  private static final int FOREVER = Integer.MAX_VALUE;

  /** The last tick explored (20 s) and the last at which a fault may strike (5 s). */
  private static final int HORIZON = 40;

  private static final int FAULT_UNTIL = 10;

  /** A leader may close until 12 s, so that the hand-over is seen within the horizon. */
  private static final int CLOSE_UNTIL = HORIZON - 16;

  // ---- Configurations ----

  enum Fault {
    LOSE_REQUEST,
    DELAY_REQUEST,
    LOSE_RESPONSE,
    DELAY_RESPONSE,
    DUPLICATE_RESPONSE,
    FREEZE,
    CRASH,
    DELETE,
    WATCH_LOSE,
    WATCH_DELAY,
    WATCH_STALL,
    WATCH_STALL_FOREVER,
    /** Not a fault: a leader closes (Election.close) and releases the Lease; once per run. */
    CLOSE
  }

  /**
   * One configuration.
   *
   * @param ids each elector's identity (two equal: a shared identity)
   * @param rates each elector's clock rate, in percent of global time
   * @param watches whether the elector's backend can watch (else it polls)
   * @param starts the tick at which each elector starts
   * @param maxFaults faults per run
   */
  record Config(
      String name,
      List<String> ids,
      List<Integer> rates,
      List<Boolean> watches,
      List<Integer> starts,
      Set<Fault> faults,
      int maxFaults) {
    int n() {
      return ids.size();
    }

    @Override
    public String toString() {
      return name + ", clocks " + rates;
    }
  }

  static Stream<Config> configs() {
    Set<Fault> callFaults =
        EnumSet.of(
            Fault.LOSE_REQUEST,
            Fault.DELAY_REQUEST,
            Fault.LOSE_RESPONSE,
            Fault.DELAY_RESPONSE,
            Fault.DUPLICATE_RESPONSE,
            Fault.FREEZE,
            Fault.CRASH);
    Set<Fault> sharedFaults = EnumSet.copyOf(callFaults);
    sharedFaults.remove(Fault.DELAY_REQUEST);
    Set<Fault> watchFaults =
        EnumSet.of(
            Fault.LOSE_REQUEST,
            Fault.LOSE_RESPONSE,
            Fault.FREEZE,
            Fault.CRASH,
            Fault.WATCH_LOSE,
            Fault.WATCH_DELAY,
            Fault.WATCH_STALL,
            Fault.WATCH_STALL_FOREVER);
    Set<Fault> closeFaults =
        EnumSet.of(
            Fault.LOSE_RESPONSE,
            Fault.FREEZE,
            Fault.WATCH_LOSE,
            Fault.WATCH_STALL_FOREVER,
            Fault.CLOSE);
    Set<Fault> deleteFaults = EnumSet.of(Fault.DELETE, Fault.FREEZE, Fault.LOSE_RESPONSE);
    // A slow and a fast clock, both ways round where the electors differ (where they do not, the
    // swap is the same model: it gives the same counts), and equal clocks.
    List<Integer> slowFast = List.of(90, 110);
    List<Integer> fastSlow = List.of(110, 90);
    List<Boolean> poll = List.of(false, false);
    List<Boolean> watchPoll = List.of(true, false);
    List<Integer> atOnce = List.of(0, 0);
    List<String> ab = List.of("a", "b");
    return Stream.of(
        new Config("two pollers", ab, slowFast, poll, atOnce, callFaults, 2),
        new Config("two pollers", ab, List.of(100, 100), poll, atOnce, callFaults, 2),
        new Config("watcher + poller", ab, slowFast, watchPoll, atOnce, watchFaults, 2),
        new Config("watcher + poller", ab, fastSlow, watchPoll, atOnce, watchFaults, 2),
        new Config(
            "one identity twice", List.of("a", "a"), slowFast, watchPoll, atOnce, sharedFaults, 2),
        new Config(
            "one identity twice", List.of("a", "a"), fastSlow, watchPoll, atOnce, sharedFaults, 2),
        new Config(
            "two watchers, the leader may close",
            ab,
            slowFast,
            List.of(true, true),
            atOnce,
            closeFaults,
            2),
        new Config(
            "Lease deleted, c starts at 4 s",
            List.of("a", "b", "c"),
            List.of(90, 110, 100),
            List.of(true, false, false),
            List.of(0, 0, 8),
            deleteFaults,
            2),
        new Config(
            "Lease deleted, c starts at 4 s",
            List.of("a", "b", "c"),
            List.of(110, 90, 100),
            List.of(true, false, false),
            List.of(0, 0, 8),
            deleteFaults,
            2),
        new Config(
            "three electors, any one fault",
            List.of("a", "b", "c"),
            List.of(90, 100, 110),
            List.of(true, false, true),
            List.of(0, 0, 0),
            EnumSet.allOf(Fault.class),
            1));
  }

  // ---- The state: immutable values, compared as a whole ----

  enum MsgKind {
    GET,
    CREATE,
    UPDATE,
    RESPONSE,
    CHANGE,
    HEALTH
  }

  /**
   * A message in flight: a request to the store (GET/CREATE/UPDATE, from {@code el}), an answer
   * (RESPONSE, to {@code el}) or a watch event (CHANGE/HEALTH, to {@code el}).
   *
   * @param due the tick from which it can be delivered
   * @param flag for a GET answer: the Lease exists; for HEALTH: healthy
   * @param stale its call has completed (LockCalls' done flag): its answer is ignored
   * @param delayed held up by a fault (a watch event then leaves its stream's order)
   * @param recreated a CREATE's answer that re-created a Lease deleted by a third party
   */
  record Msg(
      MsgKind kind,
      int el,
      int due,
      @Nullable LeaseRecord record,
      boolean flag,
      @Nullable Reason error,
      boolean stale,
      boolean delayed,
      boolean recreated) {
    static Msg of(MsgKind kind, int el, int due, @Nullable LeaseRecord record, boolean flag) {
      return new Msg(kind, el, due, record, flag, null, false, false, false);
    }

    boolean isRequest() {
      return kind == MsgKind.GET || kind == MsgKind.CREATE || kind == MsgKind.UPDATE;
    }

    boolean isWatch() {
      return kind == MsgKind.CHANGE || kind == MsgKind.HEALTH;
    }

    /** 0 request, 1 answer, 2 watch event: messages are kept sorted by elector, then this. */
    int group() {
      return isRequest() ? 0 : isWatch() ? 2 : 1;
    }

    Msg due(int at, boolean delay) {
      return new Msg(kind, el, at, record, flag, error, stale, delay, recreated);
    }

    Msg asStale() {
      return new Msg(kind, el, due, record, flag, error, true, delayed, recreated);
    }
  }

  /**
   * The call in flight: what Election's (or Release's) handler captures.
   *
   * @param kind READ for a get, else the action's kind (RENEW/CREATE/UPDATE)
   * @param start the attempt's start ({@code start})
   * @param deadline when LockCalls' timeout fires (local)
   * @param renewingToken the token of the term it renews ({@code renewing}), or null
   * @param knewLive for invariant 1: when sent, the elector had seen a live holder (not itself)
   * @param release a call of Release
   */
  record Call(
      Kind kind,
      boolean newTerm,
      @Nullable LeaseRecord record,
      long start,
      long writeStart,
      long deadline,
      @Nullable Long renewingToken,
      boolean knewLive,
      boolean release) {}

  /**
   * The current term (Election.term and its {@link Term}; local times).
   *
   * @param recreated begun by a create that re-created a Lease deleted by a third party
   * @param knewLive the creating write was sent although a live holder had been seen
   * @param othersUntilG each elector's window end (G) when this term began, MIN_VALUE if none
   */
  record TermState(
      long token,
      long validFrom,
      long validUntil,
      boolean recreated,
      boolean knewLive,
      List<Long> othersUntilG) {}

  /** A validity window in G; an ended one is kept for the tick in which it ended. */
  record Window(
      int el,
      long token,
      long fromG,
      long endG,
      boolean recreated,
      boolean knewLive,
      List<Long> othersUntilG) {}

  /**
   * One elector: what Election (k, term, writing, redecide, running), Attempts (timer, inFlight,
   * planned), LockCalls (the call), CandidateWatch (open, delivering, told, unavailable) and
   * Release (pending until idle, deadline, retry timer) hold, and the faults on it (watch channel
   * down until reconnectAt; frozen until a tick).
   */
  record El(
      Knowledge k,
      @Nullable TermState term,
      @Nullable Long timer,
      boolean inFlight,
      @Nullable Long planned,
      @Nullable Call call,
      @Nullable LeaseRecord writing,
      boolean redecide,
      boolean wOpen,
      boolean wDelivering,
      boolean wTold,
      boolean wUnavailable,
      boolean wDown,
      int reconnectAt,
      int frozenUntil,
      boolean running,
      boolean relPending,
      @Nullable Long relDeadline,
      @Nullable Long relTimer) {}

  /**
   * The compare-and-swap store.
   *
   * @param writers which elector wrote each version (index = version): ground truth for the checks
   * @param deleted absent because a third party deleted it
   * @param deletedVersion the version of the record deleted, if any
   * @param releasedAt the tick at which the stored record was written, if it is free (released)
   */
  record Store(
      @Nullable LeaseRecord lease,
      long version,
      List<Integer> writers,
      boolean deleted,
      @Nullable String deletedVersion,
      int releasedAt) {}

  /**
   * The whole state.
   *
   * @param past windows that ended in this tick (checked, dropped at the next tick)
   * @param maxToken the highest token of the terms begun so far
   * @param lastFault the tick of the last fault (or of its end: an unfreeze, a reconnect, a late
   *     delivery)
   * @param lastLedG the last instant (G) at which a term was valid
   * @param violation invariant 2's violation, found while a term began
   */
  record State(
      int tick,
      List<El> els,
      Store store,
      List<Msg> net,
      List<Window> past,
      long maxToken,
      int faults,
      boolean deleteUsed,
      boolean closeUsed,
      int lastFault,
      long lastLedG,
      @Nullable String violation) {

    /**
     * A cheap hash over fields that tell most states apart (equals still compares everything):
     * hashing every record in full dominated the run time.
     */
    @Override
    public int hashCode() {
      long h = tick * 31L + store.version() * 1_000_003L + faults * 7L + lastFault * 131L;
      for (El e : els) {
        Knowledge k = e.k();
        LeaseRecord o = k.observed();
        TermState t = e.term();
        Call c = e.call();
        h =
            h * 1_000_003L
                + k.observedAt()
                + (o == null ? 0 : Objects.hashCode(o.version()) * 17L)
                + k.mine().size() * 131L
                + (k.absent() ? 1 : 0)
                + (k.watching() ? 2 : 0)
                + (e.timer() == null ? 0 : e.timer() * 3)
                + (t == null ? 0 : t.validUntil() * 5 + t.token())
                + (c == null ? 0 : c.deadline() * 7 + (c.release() ? 1 : 0))
                + (e.wOpen() ? 4 : 0)
                + (e.wDelivering() ? 8 : 0)
                + e.frozenUntil() * 11L;
      }
      for (Msg m : net) {
        h = h * 31 + m.group() * 7L + m.el() * 3L + m.due() + (m.stale() ? 1 : 0);
      }
      return Long.hashCode(h ^ (h >>> 29));
    }
  }

  // ---- The driver: one elector's step, rule by rule as Election does it ----

  /** A mutable working copy of one elector for the length of one step. */
  private static final class Proc {
    final World w;
    final int me;
    final String identity;
    final int rate;
    final boolean canWatch;
    Knowledge k;
    @Nullable TermState term;
    @Nullable Long timer;
    boolean inFlight;
    @Nullable Long planned;
    @Nullable Call call;
    @Nullable LeaseRecord writing;
    boolean redecide;
    boolean wOpen;
    boolean wDelivering;
    boolean wTold;
    boolean wUnavailable;
    boolean wDown;
    int reconnectAt;
    int frozenUntil;
    boolean running;
    boolean relPending;
    @Nullable Long relDeadline;
    @Nullable Long relTimer;

    Proc(World w, int me, El e) {
      this.w = w;
      this.me = me;
      identity = w.cfg.ids().get(me);
      rate = w.cfg.rates().get(me);
      canWatch = w.cfg.watches().get(me);
      k = e.k();
      term = e.term();
      timer = e.timer();
      inFlight = e.inFlight();
      planned = e.planned();
      call = e.call();
      writing = e.writing();
      redecide = e.redecide();
      wOpen = e.wOpen();
      wDelivering = e.wDelivering();
      wTold = e.wTold();
      wUnavailable = e.wUnavailable();
      wDown = e.wDown();
      reconnectAt = e.reconnectAt();
      frozenUntil = e.frozenUntil();
      running = e.running();
      relPending = e.relPending();
      relDeadline = e.relDeadline();
      relTimer = e.relTimer();
    }

    /** {@return the elector as a value: {@code was} itself if nothing changed} */
    El freeze(El was) {
      if (same(k, was.k())
          && same(term, was.term())
          && same(timer, was.timer())
          && inFlight == was.inFlight()
          && same(planned, was.planned())
          && same(call, was.call())
          && same(writing, was.writing())
          && redecide == was.redecide()
          && wOpen == was.wOpen()
          && wDelivering == was.wDelivering()
          && wTold == was.wTold()
          && wUnavailable == was.wUnavailable()
          && wDown == was.wDown()
          && reconnectAt == was.reconnectAt()
          && frozenUntil == was.frozenUntil()
          && running == was.running()
          && relPending == was.relPending()
          && same(relDeadline, was.relDeadline())
          && same(relTimer, was.relTimer())) {
        return was;
      }
      return new El(
          k,
          term,
          timer,
          inFlight,
          planned,
          call,
          writing,
          redecide,
          wOpen,
          wDelivering,
          wTold,
          wUnavailable,
          wDown,
          reconnectAt,
          frozenUntil,
          running,
          relPending,
          relDeadline,
          relTimer);
    }

    /** TimeSource.nanoTime: this elector's monotonic clock. */
    long now() {
      return local(w.cfg, me, w.tick);
    }

    long g(long local) {
      return local * (9900L / rate);
    }

    /** TimeSource.now: this elector's wall clock. */
    Instant wall(long now) {
      return EPOCH.plusNanos(now + (me + 1) * 1000L);
    }

    void log(String s) {
      if (w.logging()) {
        w.log("e" + me + "(" + identity + ") " + s);
      }
    }

    /** Election.decide. */
    Outcome decide(Reading reading, long now) {
      return Decision.decide(k, reading, now, wall(now), TIMING, JITTER);
    }

    /** Election.attempt: the attempt timer fired (Attempts.fire clears it). */
    void attempt() {
      timer = null;
      long now = now();
      expire(now);
      if (running && !inFlight) {
        act(decide(Decision.DUE, now), now);
      }
    }

    /** Election.pushed. */
    void pushed(@Nullable LeaseRecord record) {
      if (!running) {
        return;
      }
      long now = now();
      expire(now);
      Outcome o = decide(new Reading.Pushed(record), now);
      if (inFlight) {
        know(o.knowledge());
        LeaseRecord wr = writing;
        redecide |= record == null || wr == null || !record.sameSpecAs(wr);
        log("push during a call: redecide=" + redecide);
        return;
      }
      act(o, now);
    }

    /** Election.watchDelivering. */
    void watchDelivering(boolean delivering) {
      know(k.watching(delivering));
      if (!delivering && running && term == null) {
        plan(TIMING.retryAt(now(), JITTER));
      }
    }

    /** CandidateWatch.deliver (events of a closed watch never come: closing drops them). */
    void deliver(boolean healthy, boolean changed, @Nullable LeaseRecord record) {
      boolean now = changed ? wDelivering || !wTold : healthy;
      wTold |= !changed;
      if (now != wDelivering) {
        wDelivering = now;
        watchDelivering(now);
      }
      if (changed) {
        pushed(record);
      }
    }

    /** Election.act. */
    void act(Outcome o, long start) {
      Action a = o.action();
      TermState t = term;
      know(o.knowledge());
      if (w.logging()) {
        log("decides " + describe(a, this));
      }
      EndReason ends = a.ends();
      if (ends != null && t != null) {
        end(t, ends);
      }
      switch (a.kind()) {
        case READ -> read(start);
        case RENEW, CREATE, UPDATE -> write(a, start);
        case WAIT -> {
          plan(a.at());
          finish();
        }
        case NONE -> finish();
      }
    }

    /** Election.read; its handler is {@link #complete}. */
    void read(long start) {
      long timeout = beginCall();
      call = new Call(Kind.READ, false, null, start, 0, now() + timeout, null, false, false);
      w.send(MsgKind.GET, me, null);
    }

    /** Election.write; its handler is {@link #complete}. */
    void write(Action a, long start) {
      LeaseRecord record = Objects.requireNonNull(a.record());
      TermState renewing = term;
      boolean renewal = !a.newTerm() && a.kind() != Kind.CREATE;
      if (renewal && renewing == null) {
        plan(now()); // the term ended since the decision: decide again
        finish();
        return;
      }
      know(k.sending(record));
      writing = record;
      long writeStart = now();
      long timeout = beginCall();
      call =
          new Call(
              a.kind(),
              a.newTerm(),
              record,
              start,
              writeStart,
              writeStart + timeout,
              renewing == null ? null : renewing.token(),
              w.sawLiveHolder(this, writeStart),
              false);
      w.send(a.kind() == Kind.CREATE ? MsgKind.CREATE : MsgKind.UPDATE, me, record);
    }

    /**
     * LockCalls: the call completes once, with its answer or (null) its timeout; then the handler
     * of Election.read, Election.write or Release.
     */
    void complete(@Nullable Msg answer) {
      Call c = Objects.requireNonNull(call);
      call = null;
      w.staleAll(me);
      long now = now();
      Reason error = answer == null ? Reason.TIMEOUT : answer.error();
      LeaseLockException ex = error == null ? null : new LeaseLockException(error, "model", null);
      if (c.release()) {
        releaseAnswered(c, answer, ex, now);
        return;
      }
      if (c.kind() != Kind.READ) {
        writing = null;
      }
      if (!running) { // Election.running(now): a stopped elector finishes; once idle, release
        finish();
        if (relPending) {
          relPending = false;
          releaseRun(now + TIMING.renewDeadlineNanos());
        }
        return;
      }
      expire(now); // Election.running(now)
      if (c.kind() == Kind.READ) { // Election.read's handler
        if (ex != null) {
          failed(c.kind(), ex, now, c.start());
          return;
        }
        Msg m = Objects.requireNonNull(answer);
        Optional<LeaseRecord> fetched =
            m.flag() ? Optional.of(Objects.requireNonNull(m.record())) : Optional.empty();
        act(decide(new Reading.Fetched(fetched), now), c.start());
        return;
      }
      LeaseRecord record = Objects.requireNonNull(c.record()); // Election.write's handler
      if (ex != null) {
        if (c.newTerm() && LockCalls.surelyNotStored(ex)) {
          know(k.forget(record));
        }
        failed(c.kind(), ex, now, c.start());
        return;
      }
      Msg m = Objects.requireNonNull(answer);
      LeaseRecord s = Objects.requireNonNull(m.record());
      TermState t = term;
      Long renewing = c.renewingToken();
      if (c.newTerm()) {
        acquired(s, c.writeStart(), now, m.recreated(), c.knewLive());
      } else if (renewing != null && t != null && t.token() == renewing) {
        renewed(t, s, c.start(), now);
      } else {
        // The term ended (deadline) while the write was in flight; the Lease still names us.
        know(k.observe(s, now));
        plan(now);
        finish();
      }
    }

    /** Election.acquired. */
    void acquired(LeaseRecord stored, long writeStart, long now, boolean recreated, boolean knew) {
      long validUntil = writeStart + TIMING.renewDeadlineNanos();
      if (now - validUntil >= 0) {
        log("won, but the answer came after renewDeadline: not leading");
        know(k.observe(stored, now));
        plan(now);
        finish();
        return;
      }
      term = w.termBegins(this, Term.tokenOf(stored), now, validUntil, recreated, knew);
      know(k.stored(stored, now));
      watch(false);
      long first = TIMING.retryNanos() - (long) (TIMING.retryNanos() * 0.5 * JITTER);
      plan(writeStart + first);
      finish();
    }

    /** Election.renewed, with Term.renewed: the window extends to start + renewDeadline. */
    void renewed(TermState t, LeaseRecord stored, long start, long now) {
      know(k.stored(stored, now));
      long until = start + TIMING.renewDeadlineNanos();
      TermState renewedTerm = t;
      if (until - t.validUntil() > 0) {
        renewedTerm =
            new TermState(
                t.token(), t.validFrom(), until, t.recreated(), t.knewLive(), t.othersUntilG());
        term = renewedTerm;
      }
      if (w.logging()) {
        log("renewed: valid until " + secs(g(renewedTerm.validUntil())));
      }
      if (expire(now)) {
        finish();
        return;
      }
      plan(start + TIMING.retryNanos());
      finish();
    }

    /** Election.failed. */
    void failed(Kind kind, LeaseLockException error, long now, long start) {
      Action next =
          Decision.afterFailure(
              k,
              kind,
              LockCalls.isConflict(error),
              LockCalls.retryAfter(error),
              now,
              TIMING,
              JITTER);
      act(new Outcome(k, next), start);
    }

    /** Election.beginCall. */
    long beginCall() {
      if (!inFlight) {
        begin();
      }
      TermState t = term;
      long left = t == null ? CAP : t.validUntil() - now();
      return Math.max(1, Math.min(left, CAP));
    }

    /** Election.finish. */
    void finish() {
      attemptsFinish();
      watch(running && term == null);
      if (redecide && running) {
        redecide = false;
        plan(now());
      }
    }

    /** Election.expire. */
    boolean expire(long now) {
      TermState t = term;
      if (t == null || now - t.validUntil() < 0) {
        return false;
      }
      end(t, EndReason.RENEW_DEADLINE_EXCEEDED);
      plan(now);
      return true;
    }

    /** Election.end, Term.end and Election.ended. */
    void end(TermState t, EndReason reason) {
      if (!t.equals(term)) {
        return;
      }
      long now = now();
      w.termEnds(this, t, now - t.validUntil() < 0 ? now : t.validUntil(), reason);
      term = null;
      if (k.leading()) {
        boolean lost = reason == EndReason.LOST || reason == EndReason.RENEW_DEADLINE_EXCEEDED;
        know(k.termEnded(!lost || TIMING.rejoin()));
      }
      watch(running);
    }

    /** Election.watch. */
    void watch(boolean wanted) {
      want(wanted);
      know(k.watching(wOpen && wDelivering));
    }

    /** Election.know (without the log and the listeners). */
    void know(Knowledge next) {
      k = next;
    }

    /** Attempts.plan. */
    void plan(long at) {
      if (!running) {
        return; // Attempts.stopped
      }
      if (inFlight) {
        Long p = planned;
        planned = p == null || at - p < 0 ? at : p;
        return;
      }
      timer = at;
    }

    /** Attempts.begin. */
    void begin() {
      timer = null;
      inFlight = true;
    }

    /** Attempts.finish. */
    void attemptsFinish() {
      if (!inFlight) {
        return;
      }
      inFlight = false;
      Long at = planned;
      planned = null;
      if (at != null) {
        plan(at);
      }
    }

    /** CandidateWatch.want; a backend that cannot watch returns no watch: unavailable for good. */
    void want(boolean wanted) {
      if (!wanted && wOpen) {
        wOpen = false;
        wDelivering = false;
        w.net.removeIf(m -> m.el() == me && m.isWatch());
      } else if (wanted && !wOpen && !wUnavailable) {
        wDelivering = false;
        wTold = false;
        if (!canWatch) {
          wUnavailable = true;
          return;
        }
        wOpen = true;
        if (!wDown) { // InMemoryLease.watch: the current record, then "healthy"
          if (w.lease != null) {
            w.net.add(Msg.of(MsgKind.CHANGE, me, w.tick + 1, w.lease, false));
          }
          w.net.add(Msg.of(MsgKind.HEALTH, me, w.tick + 1, null, true));
        }
      }
    }

    /** Election.close: stop (Election.stop), then, once no attempt is in flight, release. */
    void close() {
      running = false;
      timer = null; // Attempts.stop
      planned = null;
      watch(false);
      TermState t = term;
      if (t != null) {
        end(t, EndReason.CLOSED);
      }
      if (inFlight) {
        relPending = true; // attempts.whenIdle()
      } else {
        releaseRun(now() + TIMING.renewDeadlineNanos()); // Election.release(now)
      }
    }

    /** Release.run. */
    void releaseRun(long deadline) {
      relDeadline = deadline;
      if (k.mine().isEmpty()) {
        releaseDone("has nothing to release");
        return;
      }
      LeaseRecord last = k.observed();
      if (!k.absent() && last != null && k.ours(last)) {
        releaseClear(last);
      } else {
        releaseStep();
      }
    }

    /** Release.step. */
    void releaseStep() {
      long now = now();
      long timeout = Math.min(Objects.requireNonNull(relDeadline) - now, CAP);
      if (timeout <= 0) {
        releaseDone("gives up releasing");
        return;
      }
      call = new Call(Kind.READ, false, null, now, 0, now + timeout, null, false, true);
      w.send(MsgKind.GET, me, null);
    }

    /** Release.clear. */
    void releaseClear(LeaseRecord r) {
      long now = now();
      Instant wall = Decision.micros(wall(now));
      LeaseRecord cleared =
          new LeaseRecord(
              "",
              1,
              wall,
              wall,
              r.leaseTransitions(),
              r.strategy(),
              r.preferredHolder(),
              r.version());
      long timeout = Math.min(Objects.requireNonNull(relDeadline) - now, CAP);
      if (timeout <= 0) {
        releaseDone("gives up releasing");
        return;
      }
      call = new Call(Kind.UPDATE, false, cleared, now, now, now + timeout, null, false, true);
      w.send(MsgKind.UPDATE, me, cleared);
    }

    /** Release's handlers: of the get (in step) and of the clearing update (in clear). */
    void releaseAnswered(Call c, @Nullable Msg answer, @Nullable LeaseLockException ex, long now) {
      if (c.kind() == Kind.READ) {
        if (ex != null) {
          releaseRetry();
          return;
        }
        Msg m = Objects.requireNonNull(answer);
        LeaseRecord current = m.flag() ? m.record() : null;
        if (current == null || !k.ours(current) || k.leading()) {
          releaseDone("does not release: the Lease is not its own");
          return;
        }
        releaseClear(current);
      } else if (ex == null) {
        know(k.observe(Objects.requireNonNull(Objects.requireNonNull(answer).record()), now));
        releaseDone("RELEASED the Lease");
      } else if (LockCalls.isConflict(ex)) {
        releaseStep();
      } else {
        releaseRetry();
      }
    }

    /** Release.retry. */
    void releaseRetry() {
      long now = now();
      long delay = Math.min(TIMING.retryNanos() / 4, Objects.requireNonNull(relDeadline) - now);
      if (delay <= 0) {
        releaseDone("gives up releasing");
        return;
      }
      relTimer = now + delay;
    }

    void releaseDone(String why) {
      relDeadline = null;
      relTimer = null;
      log(why);
    }
  }

  // ---- The world: store, network and electors for the length of one transition ----

  private static final class World {
    final Config cfg;
    final State from;
    final @Nullable StringBuilder log;
    int tick;
    final Proc[] p;
    @Nullable LeaseRecord lease;
    long version;
    List<Integer> writers;
    boolean writersCopied;
    boolean deleted;
    @Nullable String deletedVersion;
    int releasedAt;
    final List<Msg> net;
    final List<Window> past;
    long maxToken;
    int faults;
    boolean deleteUsed;
    boolean closeUsed;
    int lastFault;
    @Nullable String violation;

    World(State s, Config cfg, @Nullable StringBuilder log) {
      this.from = s;
      this.cfg = cfg;
      this.log = log;
      tick = s.tick();
      Store st = s.store();
      lease = st.lease();
      version = st.version();
      writers = st.writers();
      deleted = st.deleted();
      deletedVersion = st.deletedVersion();
      releasedAt = st.releasedAt();
      net = new ArrayList<>(s.net());
      past = new ArrayList<>(s.past());
      maxToken = s.maxToken();
      faults = s.faults();
      deleteUsed = s.deleteUsed();
      closeUsed = s.closeUsed();
      lastFault = s.lastFault();
      violation = s.violation();
      p = new Proc[cfg.n()];
      for (int i = 0; i < p.length; i++) {
        p[i] = new Proc(this, i, s.els().get(i));
      }
    }

    /** {@return the world as a value, reusing every part that did not change} */
    State freeze() {
      List<El> els = new ArrayList<>(p.length);
      boolean sameEls = true;
      long nowG = tick * G_PER_TICK;
      long led = from.lastLedG();
      for (Proc q : p) {
        El e = q.freeze(from.els().get(q.me));
        sameEls &= same(e, from.els().get(q.me));
        els.add(e);
        TermState t = q.term;
        if (t != null && q.g(t.validFrom()) <= nowG) {
          led = Math.max(led, Math.min(q.g(t.validUntil()), nowG));
        }
      }
      for (Window win : past) {
        led = Math.max(led, win.endG());
      }
      boolean sameNet = net.size() == from.net().size();
      for (int i = 0; sameNet && i < net.size(); i++) {
        sameNet = same(net.get(i), from.net().get(i));
      }
      List<Msg> msgs = from.net();
      if (!sameNet) { // canonical order: by elector and group; within those, the order sent
        List<Msg> sorted = new ArrayList<>(net);
        sorted.sort(
            (a, b) ->
                a.el() != b.el()
                    ? Integer.compare(a.el(), b.el())
                    : Integer.compare(a.group(), b.group()));
        msgs = List.copyOf(sorted);
      }
      Store st = from.store();
      if (!same(st.lease(), lease)
          || st.version() != version
          || st.deleted() != deleted
          || !same(st.deletedVersion(), deletedVersion)
          || st.releasedAt() != releasedAt) {
        st =
            new Store(
                lease,
                version,
                writersCopied ? List.copyOf(writers) : writers,
                deleted,
                deletedVersion,
                releasedAt);
      }
      return new State(
          tick,
          sameEls ? from.els() : List.copyOf(els),
          st,
          msgs,
          past.isEmpty() ? List.of() : List.copyOf(past),
          maxToken,
          faults,
          deleteUsed,
          closeUsed,
          lastFault,
          led,
          violation);
    }

    boolean logging() {
      return log != null;
    }

    void log(String s) {
      StringBuilder b = log;
      if (b != null) {
        b.append("\n      ").append(s);
      }
    }

    void fault() {
      faults++;
      lastFault = tick;
    }

    /** A call's request: it reaches the store in the next tick. */
    void send(MsgKind kind, int from, @Nullable LeaseRecord r) {
      net.add(Msg.of(kind, from, tick + 1, r, false));
      if (logging()) {
        log("e" + from + " sends " + kind + (r == null ? "" : " " + fmt(r)));
      }
    }

    /** LockCalls' done flag: the messages of elector {@code el}'s completed call are stale. */
    void staleAll(int el) {
      for (int i = 0; i < net.size(); i++) {
        Msg m = net.get(i);
        if (m.el() == el && !m.isWatch() && !m.stale()) {
          net.set(i, m.asStale());
        }
      }
    }

    /** InMemoryLease: the store applies a request; its answer is due in this same tick. */
    void apply(Msg m) {
      LeaseRecord current = lease;
      LeaseRecord r = m.record();
      boolean recreates = deleted; // before store() clears it
      Msg answer;
      switch (m.kind()) {
        case GET -> answer = answer(m, current, current != null, null, false);
        case CREATE ->
            answer =
                current != null
                    ? answer(m, null, false, Reason.CONFLICT, false)
                    : answer(m, store(Objects.requireNonNull(r), m.el()), true, null, recreates);
        case UPDATE ->
            answer =
                current == null
                    ? answer(m, null, false, Reason.NOT_FOUND, false)
                    : !Objects.equals(current.version(), Objects.requireNonNull(r).version())
                        ? answer(m, null, false, Reason.CONFLICT, false)
                        : answer(m, store(r, m.el()), true, null, false);
        default -> throw new IllegalStateException(m.toString());
      }
      if (logging()) {
        Reason e = answer.error();
        log(
            "store: "
                + m.kind()
                + " of e"
                + m.el()
                + (m.stale() ? " (its call already completed)" : "")
                + " -> "
                + (e != null ? e.toString() : fmt(answer.record())));
      }
      net.add(answer);
    }

    private Msg answer(
        Msg req, @Nullable LeaseRecord r, boolean present, @Nullable Reason error, boolean rec) {
      return new Msg(MsgKind.RESPONSE, req.el(), tick, r, present, error, req.stale(), false, rec);
    }

    private LeaseRecord store(LeaseRecord r, int by) {
      version++;
      LeaseRecord s = r.withVersion(Long.toString(version));
      lease = s;
      if (!writersCopied) {
        writers = new ArrayList<>(writers);
        writersCopied = true;
      }
      writers.add(by);
      deleted = false;
      releasedAt = s.isHeld() ? 0 : tick;
      notifyWatchers(s);
      return s;
    }

    /** Every open watch whose channel is up is told of a change, in the next tick. */
    void notifyWatchers(@Nullable LeaseRecord r) {
      for (Proc q : p) {
        if (q.wOpen && !q.wDown) {
          net.add(Msg.of(MsgKind.CHANGE, q.me, tick + 1, r, false));
        }
      }
    }

    /**
     * For invariant 1: whether {@code q}'s knowledge, read field by field (not through the code
     * under test), shows a holder other than itself that it first saw less than leaseDuration ago.
     */
    boolean sawLiveHolder(Proc q, long now) {
      LeaseRecord o = q.k.observed();
      return o != null
          && o.isHeld()
          && writerOf(o, writers) != q.me
          && now - (q.k.observedAt() + leaseNanos(o)) < 0;
    }

    /** A term begins: invariant 2 is checked here, in the order terms begin. */
    TermState termBegins(
        Proc q, long token, long now, long validUntil, boolean recreated, boolean knew) {
      List<Long> others = new ArrayList<>(p.length);
      for (Proc o : p) {
        TermState t = o.term;
        others.add(o == q || t == null ? Long.MIN_VALUE : o.g(t.validUntil()));
      }
      if (token <= maxToken && violation == null) {
        violation =
            "INVARIANT 2 (fencing tokens strictly increase): e"
                + q.me
                + " began a term with token "
                + token
                + " after a term with token "
                + maxToken
                + " had begun";
      }
      maxToken = Math.max(maxToken, token);
      if (logging()) {
        q.log(
            "BECOMES LEADER: token "
                + token
                + ", window ["
                + secs(q.g(now))
                + ", "
                + secs(q.g(validUntil))
                + ")"
                + (recreated ? " (its create re-created the deleted Lease)" : ""));
      }
      return new TermState(token, now, validUntil, recreated, knew, List.copyOf(others));
    }

    void termEnds(Proc q, TermState t, long until, EndReason reason) {
      past.add(
          new Window(
              q.me,
              t.token(),
              q.g(t.validFrom()),
              q.g(until),
              t.recreated(),
              t.knewLive(),
              t.othersUntilG()));
      if (logging()) {
        q.log(
            "TERM ENDS ("
                + reason
                + "): window ["
                + secs(q.g(t.validFrom()))
                + ", "
                + secs(q.g(until))
                + ")");
      }
    }
  }

  /** Whether {@code a} is the very object {@code b}: an unchanged part of a state is reused. */
  static boolean same(@Nullable Object a, @Nullable Object b) {
    return a == b;
  }

  static long leaseNanos(LeaseRecord r) {
    Integer s = r.leaseDurationSeconds();
    return s != null && s > 0 ? s * 1_000_000_000L : TIMING.leaseNanos();
  }

  static long local(Config cfg, int el, int tick) {
    return tick * TICK * cfg.rates().get(el) / 100;
  }

  static int writerOf(LeaseRecord r, List<Integer> writers) {
    Long v = Knowledge.numeric(r.version());
    return v == null || v >= writers.size() ? -1 : writers.get(v.intValue());
  }

  // ---- Transitions ----

  /** A successor: the state and, when asked for, what happened. */
  record Succ(State state, @Nullable String label) {}

  interface Step {
    void run(World w);
  }

  /** Collects the successors of one state, in a fixed order (a trace is replayed by index). */
  private static final class Successors {
    final Config cfg;
    final State s;
    final boolean log;
    final List<Succ> out = new ArrayList<>();

    Successors(Config cfg, State s, boolean log) {
      this.cfg = cfg;
      this.s = s;
      this.log = log;
    }

    void add(Supplier<String> what, Step step) {
      World w = new World(s, cfg, log ? new StringBuilder() : null);
      step.run(w);
      out.add(new Succ(w.freeze(), log ? what.get() + Objects.requireNonNull(w.log) : null));
    }

    boolean allowed(Fault f, int tick) {
      return s.faults() < cfg.maxFaults() && tick <= FAULT_UNTIL && cfg.faults().contains(f);
    }

    /** A fault striking an event due now, instead of the event. */
    void fault(Fault f, Supplier<String> what, Step step) {
      if (allowed(f, s.tick())) {
        add(
            () -> "FAULT: " + what.get(),
            w -> {
              w.fault();
              step.run(w);
            });
      }
    }

    /** The next tick, with a fault beginning at it. */
    void next(Fault f, Supplier<String> what, Step step) {
      if (allowed(f, s.tick() + 1)) {
        add(
            () -> "-- " + secs((s.tick() + 1) * G_PER_TICK) + " -- FAULT: " + what.get(),
            w -> {
              advance(w);
              w.fault();
              step.run(w);
            });
      }
    }
  }

  /**
   * Every successor of {@code s}: each event due at this tick, and each fault that may strike it;
   * when none is due, the next tick, and each fault that may begin then.
   */
  static List<Succ> successors(Config cfg, State s, boolean log) {
    Successors x = new Successors(cfg, s, log);
    int tick = s.tick();
    int n = cfg.n();
    for (int i = 0; i < n; i++) {
      int el = i;
      El e = s.els().get(i);
      if (!started(cfg, i, tick) || frozen(e, tick)) {
        continue;
      }
      long now = local(cfg, i, tick);
      Long timer = e.timer();
      if (timer != null && now - timer >= 0) {
        x.add(() -> "e" + el + ": attempt timer fires", w -> w.p[el].attempt());
      }
      TermState t = e.term();
      if (t != null && now - t.validUntil() >= 0) {
        x.add(() -> "e" + el + ": term deadline timer fires", w -> w.p[el].expire(now));
      }
      Long retry = e.relTimer();
      if (retry != null && now - retry >= 0) {
        x.add(
            () -> "e" + el + ": release retry timer fires",
            w -> {
              w.p[el].relTimer = null;
              w.p[el].releaseStep();
            });
      }
      Call c = e.call();
      if (c != null && now - c.deadline() >= 0) {
        x.add(() -> "e" + el + ": call times out", w -> w.p[el].complete(null));
      }
    }
    int[] firstWatchEvent = new int[n];
    Arrays.fill(firstWatchEvent, -1);
    for (int i = s.net().size() - 1; i >= 0; i--) {
      Msg m = s.net().get(i);
      if (m.isWatch() && !m.delayed()) {
        firstWatchEvent[m.el()] = i;
      }
    }
    for (int i = 0; i < s.net().size(); i++) {
      int idx = i;
      Msg m = s.net().get(i);
      if (m.due() > tick) {
        continue;
      }
      String late = m.delayed() ? " (late)" : "";
      Step delivered =
          w -> {
            w.net.remove(idx);
            if (m.delayed()) {
              w.lastFault = w.tick; // a late delivery is the end of its fault
            }
          };
      if (m.isRequest()) {
        Supplier<String> what = () -> m.kind() + " of e" + m.el();
        x.add(
            () -> "store receives " + what.get() + late,
            w -> {
              delivered.run(w);
              w.apply(m);
            });
        if (!m.stale()) {
          x.fault(Fault.LOSE_REQUEST, () -> what.get() + " lost", w -> w.net.remove(idx));
        }
        if (!m.delayed()) {
          x.fault(
              Fault.DELAY_REQUEST,
              () -> what.get() + " held up 4 ticks before the store",
              w -> w.net.set(idx, m.due(w.tick + 4, true)));
        }
        continue;
      }
      if (frozen(s.els().get(m.el()), tick)) {
        continue;
      }
      if (m.kind() == MsgKind.RESPONSE) {
        Reason error = m.error();
        Supplier<String> what =
            () ->
                "answer " + (error != null ? error.toString() : fmt(m.record())) + " to e" + m.el();
        x.add(
            () -> what.get() + late + (m.stale() ? ": ignored, its call completed" : ""),
            w -> {
              delivered.run(w);
              if (!m.stale()) {
                w.p[m.el()].complete(m);
              }
            });
        if (!m.stale()) {
          x.fault(Fault.LOSE_RESPONSE, () -> what.get() + " lost", w -> w.net.remove(idx));
          x.fault(
              Fault.DELAY_RESPONSE,
              () -> what.get() + " 2 ticks late",
              w -> w.net.set(idx, m.due(w.tick + 2, true)));
          x.fault(
              Fault.DUPLICATE_RESPONSE,
              () -> what.get() + " delivered, and again in the next tick",
              w -> {
                w.net.remove(idx);
                w.net.add(m.due(w.tick + 1, false)); // stale once the call completes
                w.p[m.el()].complete(m);
              });
        }
        continue;
      }
      if (!m.delayed() && firstWatchEvent[m.el()] != idx) {
        continue; // a watch stream delivers in order
      }
      boolean change = m.kind() == MsgKind.CHANGE;
      Supplier<String> what =
          () ->
              "watch event to e"
                  + m.el()
                  + ": "
                  + (change
                      ? "change " + fmt(m.record())
                      : m.flag() ? "healthy" : "NOT delivering");
      x.add(
          () -> what.get() + late,
          w -> {
            delivered.run(w);
            w.p[m.el()].deliver(change || m.flag(), change, m.record());
          });
      x.fault(Fault.WATCH_LOSE, () -> what.get() + " lost", w -> w.net.remove(idx));
      if (!m.delayed()) {
        x.fault(
            Fault.WATCH_DELAY,
            () -> what.get() + " 3 ticks late",
            w -> w.net.set(idx, m.due(w.tick + 3, true)));
      }
    }
    if (!x.out.isEmpty() || tick >= HORIZON) {
      return x.out;
    }
    // Nothing is due: the next tick, possibly with a fault (or a close) beginning at it.
    int next = tick + 1;
    x.add(() -> "-- " + secs(next * G_PER_TICK) + " --", ModelCheckTest::advance);
    if (!s.deleteUsed() && s.store().lease() != null) {
      x.next(
          Fault.DELETE,
          () -> "a third party deletes the Lease",
          w -> {
            w.deleteUsed = true;
            w.deletedVersion = Objects.requireNonNull(w.lease).version();
            w.lease = null;
            w.deleted = true;
            w.releasedAt = 0;
            w.notifyWatchers(null);
          });
    }
    for (int i = 0; i < n; i++) {
      int el = i;
      El e = s.els().get(i);
      if (!started(cfg, i, next) || frozen(e, next) || !e.running()) {
        continue;
      }
      TermState t = e.term();
      if (cfg.faults().contains(Fault.CLOSE)
          && !s.closeUsed()
          && next <= CLOSE_UNTIL
          && t != null
          && local(cfg, i, next) - t.validUntil() < 0
          && alive(s) > 1) {
        x.add(
            () -> "-- " + secs(next * G_PER_TICK) + " -- e" + el + ", the leader, closes",
            w -> {
              advance(w);
              w.closeUsed = true;
              w.p[el].close();
            });
      }
      x.next(
          Fault.FREEZE,
          () -> "e" + el + " freezes for " + FREEZE_TICKS + " ticks",
          w -> w.p[el].frozenUntil = next + FREEZE_TICKS);
      if (alive(s) > 1) {
        x.next(Fault.CRASH, () -> "e" + el + " crashes", w -> w.p[el].frozenUntil = FOREVER);
      }
      if (cfg.watches().get(i) && !e.wDown()) {
        for (boolean forGood : new boolean[] {false, true}) {
          x.next(
              forGood ? Fault.WATCH_STALL_FOREVER : Fault.WATCH_STALL,
              () -> "e" + el + "'s watch stalls " + (forGood ? "for good" : "for 4 ticks"),
              w -> {
                Proc q = w.p[el];
                q.wDown = true;
                q.reconnectAt = forGood ? FOREVER : next + 4;
                if (q.wOpen) {
                  w.net.removeIf(m -> m.el() == el && m.isWatch());
                  w.net.add(Msg.of(MsgKind.HEALTH, el, next, null, false));
                }
              });
        }
      }
    }
    return x.out;
  }

  private static boolean frozen(El e, int tick) {
    return e.frozenUntil() > tick;
  }

  private static boolean started(Config cfg, int el, int tick) {
    return cfg.starts().get(el) <= tick;
  }

  /** {@return how many electors run and have not crashed: liveness needs one} */
  private static int alive(State s) {
    int n = 0;
    for (El e : s.els()) {
      n += e.frozenUntil() != FOREVER && e.running() ? 1 : 0;
    }
    return n;
  }

  /** The next tick: ended windows are dropped; unfreezes and reconnects due now happen. */
  private static void advance(World w) {
    w.tick++;
    w.past.clear();
    for (Proc q : w.p) {
      if (q.frozenUntil == w.tick) {
        q.frozenUntil = 0;
        w.lastFault = w.tick;
        q.log("unfreezes");
      }
      if (q.wDown && q.reconnectAt == w.tick) {
        q.wDown = false;
        q.reconnectAt = 0;
        w.lastFault = w.tick;
        q.log("'s watch reconnects");
        if (q.wOpen) { // a re-list pushes the current record, then the stream delivers
          w.net.add(Msg.of(MsgKind.CHANGE, q.me, w.tick, w.lease, false));
          w.net.add(Msg.of(MsgKind.HEALTH, q.me, w.tick, null, true));
        }
      }
    }
  }

  static State initial(Config cfg) {
    List<El> els = new ArrayList<>();
    for (int i = 0; i < cfg.n(); i++) {
      els.add(
          new El(
              Knowledge.initial(cfg.ids().get(i)),
              null,
              local(cfg, i, cfg.starts().get(i)), // Election.start: attempts.plan(now)
              false,
              null,
              null,
              null,
              false,
              false,
              false,
              false,
              false,
              false,
              0,
              0,
              true,
              false,
              null,
              null));
    }
    return new State(
        0,
        List.copyOf(els),
        new Store(null, 0, List.of(-1), false, null, 0),
        List.of(),
        List.of(),
        Long.MIN_VALUE,
        0,
        false,
        false,
        0,
        Long.MIN_VALUE / 4,
        null);
  }

  // ---- Invariants ----

  /** L1: leaseDuration + renewDeadline + 3 × retryPeriod on the slowest clock, + 3 ticks. */
  static final long L1_BOUND_G =
      (TIMING.leaseNanos() + TIMING.renewDeadlineNanos() + 3 * TIMING.retryNanos()) * 110
          + 3 * G_PER_TICK;

  /** Statistics of one exploration. */
  static final class Stats {
    long states;
    long tickStarts;
    int maxDepth;
    long longestLeaderlessG;
    long closestToL2G = Long.MIN_VALUE;
  }

  /** {@return the violated invariant and why, or null} */
  static @Nullable String check(Config cfg, State s, Stats stats) {
    if (s.violation() != null) {
      return s.violation();
    }
    int tick = s.tick();
    long nowG = tick * G_PER_TICK;
    List<Window> ws = new ArrayList<>(s.past());
    boolean valid = false;
    for (int i = 0; i < cfg.n(); i++) {
      TermState t = s.els().get(i).term();
      if (t != null) {
        long f = 9900L / cfg.rates().get(i);
        ws.add(
            new Window(
                i,
                t.token(),
                t.validFrom() * f,
                t.validUntil() * f,
                t.recreated(),
                t.knewLive(),
                t.othersUntilG()));
        valid |= local(cfg, i, tick) - t.validUntil() < 0;
      }
    }
    String overlap = overlap(cfg, ws, nowG);
    if (overlap != null) {
      return overlap;
    }
    String polling = polling(cfg, s);
    if (polling != null) {
      return polling;
    }
    return valid ? null : leader(cfg, s, stats);
  }

  /** Invariant 1 over the windows open now or ended in this tick. */
  static @Nullable String overlap(Config cfg, List<Window> ws, long nowG) {
    for (int a = 0; a < ws.size(); a++) {
      for (int b = 0; b < ws.size(); b++) {
        Window x = ws.get(a);
        Window y = ws.get(b);
        if (a == b || x.fromG() > y.fromG() || (x.fromG() == y.fromG() && x.token() > y.token())) {
          continue; // y is the later of the two
        }
        long overlapEnd = Math.min(Math.min(x.endG(), y.endG()), nowG);
        if (overlapEnd <= y.fromG()) {
          continue;
        }
        long by = overlapEnd - y.fromG();
        String both = describe(x) + " and " + describe(y) + " overlap by " + secs(by) + " (so far)";
        if (!y.recreated() || y.knewLive()) {
          return "INVARIANT 1 (no two validity windows overlap): "
              + both
              + (y.recreated() ? "; the re-creating elector had seen the holder live" : "");
        }
        long bound = (TIMING.retryNanos() + CAP) * (9900L / cfg.rates().get(x.el()));
        long untilAtCreate = y.othersUntilG().get(x.el());
        if (by > bound || (untilAtCreate != Long.MIN_VALUE && x.endG() > untilAtCreate)) {
          return "INVARIANT 1 (a deleted Lease's re-creation overlaps the deposed leader by at most"
              + " retryPeriod + a call timeout = "
              + secs(bound)
              + ", and never past that leader's validUntil "
              + secs(untilAtCreate)
              + " at the re-creation): "
              + both;
        }
      }
    }
    return null;
  }

  static String describe(Window w) {
    return "e" + w.el() + "'s [" + secs(w.fromG()) + ", " + secs(w.endG()) + ") token " + w.token();
  }

  /** Invariant 3, polling: a candidate whose watch does not deliver polls every retryPeriod. */
  static @Nullable String polling(Config cfg, State s) {
    for (int i = 0; i < cfg.n(); i++) {
      El e = s.els().get(i);
      if (!started(cfg, i, s.tick())
          || frozen(e, s.tick())
          || !e.running()
          || e.term() != null
          || e.inFlight()
          || e.k().absent()
          || (e.wOpen() && e.wDelivering())) {
        continue;
      }
      Long timer = e.timer();
      long now = local(cfg, i, s.tick());
      if (timer == null || timer - now > TIMING.retryNanos()) {
        return "INVARIANT 3 (liveness, polling: a candidate whose watch does not deliver polls every"
            + " retryPeriod): e"
            + i
            + (timer == null
                ? " has no attempt planned"
                : " plans its next attempt "
                    + secs((timer - now) * (9900L / cfg.rates().get(i)))
                    + " ahead");
      }
    }
    return null;
  }

  /** Invariant 3, L1 and L2, in a state in which no term is valid. */
  static @Nullable String leader(Config cfg, State s, Stats stats) {
    int tick = s.tick();
    long nowG = tick * G_PER_TICK;
    long base = Math.max(s.lastFault() * G_PER_TICK, s.lastLedG());
    long leaderless = nowG - base;
    stats.longestLeaderlessG = Math.max(stats.longestLeaderlessG, leaderless);
    if (leaderless > L1_BOUND_G) {
      return "INVARIANT 3 (liveness, L1): no elector leads "
          + secs(leaderless)
          + " after the last fault or leader, at "
          + secs(base)
          + " (bound "
          + secs(L1_BOUND_G)
          + ")";
    }
    long earliest = Long.MAX_VALUE;
    int who = -1;
    for (int i = 0; i < cfg.n(); i++) {
      El e = s.els().get(i);
      if (!started(cfg, i, tick) || frozen(e, tick) || e.term() != null || !e.running()) {
        continue;
      }
      long ready = readyG(cfg, s, i);
      if (ready == Long.MAX_VALUE) {
        continue;
      }
      long f = 9900L / cfg.rates().get(i);
      long from = Math.max(base, cfg.starts().get(i) * G_PER_TICK);
      long deadline = Math.max(from + (CAP + TIMING.retryNanos()) * f, ready) + 3 * G_PER_TICK;
      if (deadline < earliest) {
        earliest = deadline;
        who = i;
      }
    }
    if (who < 0) {
      return null;
    }
    stats.closestToL2G = Math.max(stats.closestToL2G, nowG - earliest);
    if (nowG <= earliest) {
      return null;
    }
    return "INVARIANT 3 (liveness, L2): no elector leads at "
        + secs(nowG)
        + ", though e"
        + who
        + " knew the Lease as stored and faults had stopped: bound "
        + secs(earliest)
        + " = 3 ticks after the later of (the last fault or leader "
        + secs(base)
        + " + call timeout + retryPeriod) and (when e"
        + who
        + " could take the Lease by the rules)";
  }

  /**
   * {@return when elector {@code i} may take the Lease as stored, by the rules, if its knowledge
   * shows it as stored (MAX_VALUE if its knowledge is out of date)}
   */
  static long readyG(Config cfg, State s, int i) {
    El e = s.els().get(i);
    Knowledge k = e.k();
    Store st = s.store();
    LeaseRecord current = st.lease();
    LeaseRecord o = k.observed();
    long f = 9900L / cfg.rates().get(i);
    LeaseRecord base;
    if (current != null) {
      if (k.absent() || o == null || !Objects.equals(o.version(), current.version())) {
        // Out of date. A polling candidate (its watch, if any, does not deliver) reads within
        // retryPeriod, and takes a released Lease at once.
        boolean polls = !(e.wOpen() && e.wDelivering());
        return polls && !current.isHeld()
            ? st.releasedAt() * G_PER_TICK + TIMING.retryNanos() * f
            : Long.MAX_VALUE;
      }
      base = current;
    } else {
      if (!k.absent() || (o != null && !Objects.equals(o.version(), st.deletedVersion()))) {
        return Long.MAX_VALUE; // it has not seen the Lease absent, or knows an older record
      }
      base = o;
    }
    long seen = k.observedAt() * f;
    if (base == null || !base.isHeld() || writerOf(base, st.writers()) == i) {
      return seen; // free, its own, or never held: it may take it once it saw it
    }
    return seen + leaseNanos(base) * f;
  }

  // ---- Exploration ----

  /** How a state was first reached: its parent and which of the parent's successors. */
  record Trace(@Nullable Trace parent, int choice, int depth) {}

  record Found(State state, Trace trace) {}

  /** The result of one exploration: its statistics and the first violation, if any. */
  record Result(Stats stats, @Nullable String violation) {}

  /**
   * Explores every state reachable within the bounds, tick by tick: from each state a tick can
   * begin in, every interleaving of the events due in it (depth first, each state once), giving the
   * states the next tick begins in.
   */
  static Result explore(Config cfg) {
    Stats stats = new Stats();
    State init = initial(cfg);
    Map<State, Trace> frontier = new LinkedHashMap<>();
    frontier.put(init, new Trace(null, -1, 0));
    stats.states = 1;
    while (!frontier.isEmpty()) {
      stats.tickStarts += frontier.size();
      Set<State> seen = new HashSet<>(Math.max(64, frontier.size() * 12));
      seen.addAll(frontier.keySet());
      ArrayDeque<Found> stack = new ArrayDeque<>();
      frontier.forEach((st, tr) -> stack.push(new Found(st, tr)));
      Map<State, Trace> next = new LinkedHashMap<>(Math.max(64, frontier.size() * 3));
      while (!stack.isEmpty()) {
        Found f = stack.pop();
        List<Succ> succ = successors(cfg, f.state(), false);
        for (int i = 0; i < succ.size(); i++) {
          State t = succ.get(i).state();
          boolean later = t.tick() != f.state().tick();
          if (later ? next.containsKey(t) : !seen.add(t)) {
            continue;
          }
          Trace tr = new Trace(f.trace(), i, f.trace().depth() + 1);
          if (later) {
            next.put(t, tr);
          } else {
            stack.push(new Found(t, tr));
          }
          stats.states++;
          stats.maxDepth = Math.max(stats.maxDepth, tr.depth());
          String v = check(cfg, t, stats);
          if (v != null) {
            return new Result(
                stats,
                "["
                    + cfg
                    + "] "
                    + v
                    + "\nCounterexample ("
                    + tr.depth()
                    + " steps):"
                    + replay(cfg, tr));
          }
        }
      }
      frontier = next;
    }
    return new Result(stats, null);
  }

  /** Replays a trace from the initial state, describing every step. */
  static String replay(Config cfg, Trace end) {
    List<Integer> choices = new ArrayList<>();
    for (Trace t = end; t.parent() != null; t = Objects.requireNonNull(t.parent())) {
      choices.add(t.choice());
    }
    Collections.reverse(choices);
    StringBuilder b = new StringBuilder("\n  electors:");
    for (int i = 0; i < cfg.n(); i++) {
      b.append(" e")
          .append(i)
          .append(" (identity ")
          .append(cfg.ids().get(i))
          .append(", clock ×")
          .append(cfg.rates().get(i) / 100.0)
          .append(cfg.watches().get(i) ? ", watches" : ", polls")
          .append(cfg.starts().get(i) > 0 ? ", starts at tick " + cfg.starts().get(i) : "")
          .append(')');
    }
    b.append("\n  (times are global; a window is [validFrom, validUntil))\n  -- 0.000s --");
    State s = initial(cfg);
    for (int c : choices) {
      Succ next = successors(cfg, s, true).get(c);
      b.append("\n  ").append(next.label());
      s = next.state();
    }
    return b.toString();
  }

  // ---- Formatting ----

  static String secs(long g) {
    long ms = Math.round(g / (double) G_PER_NANO / 1e6);
    return (ms < 0 ? "-" : "")
        + Math.abs(ms) / 1000
        + "."
        + String.format(Locale.ROOT, "%03d", Math.abs(ms) % 1000)
        + "s";
  }

  static String fmt(@Nullable LeaseRecord r) {
    if (r == null) {
      return "absent";
    }
    return "{holder="
        + r.holderIdentity()
        + " v"
        + r.version()
        + " transitions="
        + r.leaseTransitions()
        + " acquire="
        + wallSecs(r.acquireTime())
        + " renew="
        + wallSecs(r.renewTime())
        + "}";
  }

  static String wallSecs(@Nullable Instant i) {
    return i == null
        ? "-"
        : String.format(Locale.ROOT, "%.6f", Duration.between(EPOCH, i).toNanos() / 1e9);
  }

  static String describe(Action a, Proc q) {
    StringBuilder b = new StringBuilder(a.kind().toString());
    if (a.kind() == Kind.WAIT) {
      b.append(" until ").append(secs(q.g(a.at())));
    }
    if (a.record() != null) {
      b.append(' ').append(fmt(a.record()));
    }
    if (a.newTerm()) {
      b.append(" (new term)");
    }
    if (a.ends() != null) {
      b.append(", ENDS THE TERM ").append(a.ends());
    }
    if (a.duplicate()) {
      b.append(", DUPLICATE IDENTITY");
    }
    return b.append(" [").append(a.why()).append(']').toString();
  }

  // ---- The test ----

  private static long totalStates;
  private static long totalNanos;

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void noOverlapTokensGrowAndALeaderWithinTheBound(Config cfg) {
    long t0 = System.nanoTime();
    Result r = explore(cfg);
    long took = System.nanoTime() - t0;
    Stats st = r.stats();
    totalStates += st.states;
    totalNanos += took;
    System.out.printf(
        Locale.ROOT,
        "model check [%s]: %d states (%d at tick starts), max depth %d, %.1f s; longest"
            + " leaderless stretch after a fault %s (L1 bound %s); closest to L2 %s%n",
        cfg,
        st.states,
        st.tickStarts,
        st.maxDepth,
        took / 1e9,
        secs(st.longestLeaderlessG),
        secs(L1_BOUND_G),
        st.closestToL2G == Long.MIN_VALUE ? "-" : secs(st.closestToL2G));
    String v = r.violation();
    if (v != null) {
      fail(v);
    }
    assertThat(st.states).isPositive();
  }

  @AfterAll
  static void total() {
    System.out.printf(
        Locale.ROOT, "model check: %d states in %.1f s in all%n", totalStates, totalNanos / 1e9);
  }
}
