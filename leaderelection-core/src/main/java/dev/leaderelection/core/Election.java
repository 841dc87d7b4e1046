package dev.leaderelection.core;

import dev.leaderelection.core.Decision.Action;
import dev.leaderelection.core.Decision.Outcome;
import dev.leaderelection.core.Decision.Reading;
import dev.leaderelection.core.LeaderElectionListener.Operation;
import dev.leaderelection.core.Leadership.EndReason;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One elector's running election. Its state is confined to one serial executor, {@link #loop}:
 * every step (a timer, a call's outcome, a watch event) runs there, one at a time. Each step asks
 * the {@link Decision} what to do and carries it out; each concern has its own class: {@link Term}
 * (the validity window), {@link Attempts} (what runs when), {@link LockCalls}, {@link
 * CandidateWatch}, {@link Release}, {@link Notifications}.
 */
final class Election {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  private final LeaseLock lock;
  private final String identity;
  private final String name;
  private final Decision.Timing timing;
  private final Scheduler scheduler;
  private final TimeSource time;
  private final DoubleSupplier random;
  private final long callCapNanos;
  private final LeaderElectionConfig config;
  final SerialExecutor loop;
  final Notifications notify;
  private final LockCalls calls;
  private final Attempts attempts;
  private final CandidateWatch watch;
  private final Release release;

  // Confined to the loop; volatile where the facade reads them from other threads.
  private volatile Knowledge k;
  private volatile @Nullable Term term;
  private volatile CompletableFuture<Leadership> nextLeadership = new CompletableFuture<>();
  private @Nullable String lastLeader;
  private boolean running = true;
  private boolean redecide;
  private boolean watchWasDown;
  private @Nullable LeaseRecord writing;
  private Knowledge.@Nullable Mark reportedDuplicate;

  Election(
      LeaseLock lock,
      String name,
      LeaderElectionConfig config,
      Notifications notify,
      Scheduler scheduler,
      TimeSource time,
      DoubleSupplier random) {
    this.lock = lock;
    this.identity = lock.identity();
    this.name = name;
    this.config = config;
    this.timing = Decision.Timing.of(config);
    this.scheduler = scheduler;
    this.time = time;
    this.random = random;
    this.callCapNanos = Math.max(timing.retryNanos(), timing.renewDeadlineNanos() / 2);
    this.notify = notify;
    this.loop = new SerialExecutor(scheduler::execute, "Unexpected error in leader election step");
    this.k = Knowledge.initial(identity);
    this.calls = new LockCalls(name, scheduler, loop, notify);
    this.attempts = new Attempts(scheduler, time, loop, this::attempt);
    this.watch =
        new CandidateWatch(
            lock,
            name,
            loop,
            scheduler,
            new CandidateWatch.Events() {
              @Override
              public void changed(@Nullable LeaseRecord record) {
                pushed(record);
              }

              @Override
              public void delivering(boolean delivering) {
                watchDelivering(delivering);
              }
            });
    this.release =
        new Release(
            lock,
            name,
            calls,
            scheduler,
            time,
            loop,
            timing,
            callCapNanos,
            () -> k,
            stored -> know(k.observe(stored, time.nanoTime())));
  }

  // --- read by the facade, from any thread ------------------------------------------------------

  @Nullable Term term() {
    return term;
  }

  CompletableFuture<Leadership> nextLeadership() {
    return nextLeadership;
  }

  Optional<String> currentLeader() {
    Knowledge now = k;
    LeaseRecord o = now.observed();
    return now.absent() || o == null || !o.isHeld()
        ? Optional.empty()
        : Optional.ofNullable(o.holderIdentity());
  }

  // --- lifecycle, each step on the loop --------------------------------------------------------

  void start() {
    loop.execute(() -> attempts.plan(time.nanoTime()));
  }

  /**
   * Ends the term now (as {@code YIELDED}), on the caller's thread, so that {@link #term()} is no
   * longer valid when this returns; then, on the loop, stays out for a leaseDuration and releases
   * the Lease once the callbacks have returned.
   *
   * @return whether a term was current
   */
  boolean yieldLeadership() {
    Term t = term;
    if (t == null || !t.end(EndReason.YIELDED, time.nanoTime())) {
      return false;
    }
    loop.execute(
        () -> {
          if (term != t) {
            return;
          }
          ended(t, EndReason.YIELDED);
          if (!running) {
            return;
          }
          long notBefore = time.nanoTime() + timing.leaseNanos();
          know(k.notBefore(notBefore));
          attempts.plan(notBefore);
          var unused = notify.whenIdle().thenRun(() -> loop.execute(this::releaseAfterYield));
        });
    return true;
  }

  /** Stops competing and ends the term ({@code CLOSED}); completes when no call is in flight. */
  private CompletableFuture<Void> stop() {
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    loop.execute(
        () -> {
          running = false;
          attempts.stop();
          watch(false);
          Term t = term;
          if (t != null) {
            end(t, EndReason.CLOSED);
          }
          var unused = attempts.whenIdle().thenRun(() -> stopped.complete(null));
        });
    return stopped;
  }

  /** Releases the Lease if it is still this elector's, within renewDeadline of {@code from}. */
  private CompletableFuture<Boolean> release(long from) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    loop.execute(
        () -> {
          if (term != null) {
            done.complete(false);
            return;
          }
          var unused = release.run(from + timing.renewDeadlineNanos()).thenAccept(done::complete);
        });
    return done;
  }

  private void releaseAfterYield() {
    var unused = release.run(time.nanoTime() + timing.renewDeadlineNanos());
  }

  /**
   * The close sequence: stop (ending the term), wait up to closeTimeout for the callbacks, then
   * release if configured and the callbacks returned; after it, no callback starts but the stop
   * paired with a start still running.
   */
  CompletableFuture<Boolean> close() {
    CompletableFuture<Boolean> callbacksDone = new CompletableFuture<>();
    Scheduler.Cancellable giveUp =
        scheduler.schedule(() -> callbacksDone.complete(false), config.closeTimeout());
    return stop()
        .thenCompose(
            stopped -> {
              var unused =
                  notify
                      .whenIdle()
                      .thenRun(
                          () -> {
                            giveUp.cancel();
                            callbacksDone.complete(true);
                          });
              return callbacksDone;
            })
        .thenCompose(
            idle -> {
              if (!idle) {
                log.warn(
                    "Leader callbacks of {} did not return within closeTimeout {}; not releasing"
                        + " the Lease, so the next leader waits leaseDuration",
                    name,
                    LeaderElectionConfig.format(config.closeTimeout()));
                return CompletableFuture.completedFuture(false);
              }
              return config.releaseOnClose()
                  ? release(time.nanoTime())
                  : CompletableFuture.completedFuture(false);
            })
        .whenComplete(
            (released, e) -> {
              notify.shutdown();
              nextLeadership.cancel(false);
            });
  }

  // --- steps ------------------------------------------------------------------------------------

  /** The timer fired. */
  private void attempt() {
    long now = time.nanoTime();
    expire(now);
    if (running && !attempts.inFlight()) {
      act(decide(Decision.DUE, now), now);
    }
  }

  /** The watch told of a change: a hint, decided like a read; acted on after a call in flight. */
  private void pushed(@Nullable LeaseRecord record) {
    if (!running) {
      return;
    }
    long now = time.nanoTime();
    expire(now);
    Outcome o = decide(new Reading.Pushed(record), now);
    if (attempts.inFlight()) {
      know(o.knowledge());
      reportDuplicate(o.action(), record);
      LeaseRecord w = writing;
      // Decide again once the call returns, unless this is the echo of the write in flight.
      redecide |= record == null || w == null || !record.sameSpecAs(w);
      return;
    }
    act(o, now);
  }

  private void watchDelivering(boolean delivering) {
    know(k.watching(delivering));
    if (!delivering || watchWasDown) {
      // Every new watch starts out not delivering: only a failure and its recovery are news.
      watchWasDown = !delivering;
      log.info(
          "{}: watch {}",
          name,
          delivering
              ? "delivers changes again; candidates read only when the holder's lease could have"
                  + " expired"
              : "is not delivering changes; candidates poll every "
                  + LeaderElectionConfig.format(config.retryPeriod()));
    }
    if (!delivering && running && term == null) {
      attempts.plan(timing.retryAt(time.nanoTime(), random.getAsDouble()));
    }
  }

  private Outcome decide(Reading reading, long now) {
    return Decision.decide(k, reading, now, time.now(), timing, random.getAsDouble());
  }

  /** Carries out a decision; {@code start} is when the attempt began. */
  private void act(Outcome o, long start) {
    Action a = o.action();
    Term t = term;
    know(o.knowledge());
    if (a.ends() != null && t != null) {
      log.warn(
          "{} lost leadership of {}: the Lease is now {}", identity, name, holderOf(o.knowledge()));
      end(t, a.ends());
    }
    reportDuplicate(a, o.knowledge().observed());
    switch (a.kind()) {
      case READ -> read(start);
      case RENEW, CREATE, UPDATE -> write(a, start);
      case WAIT -> {
        attempts.plan(a.at());
        finish();
      }
      case NONE -> finish();
    }
  }

  private void read(long start) {
    long timeout = beginCall();
    calls.call(
        Operation.GET,
        () -> lock.get(Duration.ofNanos(timeout)),
        timeout,
        (fetched, error) -> {
          long now = time.nanoTime();
          if (!running(now)) {
            return;
          }
          if (error != null) {
            failed(Operation.GET, Decision.Kind.READ, error, now, start);
            return;
          }
          calls.succeeded();
          act(decide(new Reading.Fetched(Objects.requireNonNull(fetched)), now), start);
        });
  }

  private void write(Action a, long start) {
    LeaseRecord record = Objects.requireNonNull(a.record());
    Term renewing = term;
    boolean renewal = !a.newTerm() && a.kind() != Decision.Kind.CREATE;
    if (renewal && (renewing == null || renewing.endReason().isPresent())) {
      attempts.plan(time.nanoTime()); // the term ended since the decision: decide again
      finish();
      return;
    }
    know(k.sending(record));
    writing = record;
    Operation op = a.kind() == Decision.Kind.CREATE ? Operation.CREATE : Operation.UPDATE;
    long writeStart = time.nanoTime();
    long timeout = beginCall();
    calls.call(
        op,
        () ->
            op == Operation.CREATE
                ? lock.create(record, Duration.ofNanos(timeout))
                : lock.update(record, Duration.ofNanos(timeout)),
        timeout,
        (stored, error) -> {
          writing = null;
          long now = time.nanoTime();
          if (!running(now)) {
            return;
          }
          if (error != null) {
            if (a.newTerm() && LockCalls.surelyNotStored(error)) {
              know(k.forget(record));
            }
            failed(op, a.kind(), error, now, start);
            return;
          }
          calls.succeeded();
          LeaseRecord s = Objects.requireNonNull(stored);
          if (a.newTerm()) {
            acquired(s, writeStart, now);
          } else if (renewing != null && term == renewing) {
            renewed(renewing, s, start, now);
          } else {
            // The term ended (deadline) while the write was in flight; the Lease still names us.
            know(k.observe(s, now));
            attempts.plan(now);
            finish();
          }
        });
  }

  private void acquired(LeaseRecord stored, long writeStart, long now) {
    long validUntil = writeStart + timing.renewDeadlineNanos();
    if (now - validUntil >= 0) {
      log.warn(
          "{} won {} but the write came back after renewDeadline {} (the process was frozen or the"
              + " call slow): not leading; trying again",
          identity,
          name,
          LeaderElectionConfig.format(config.renewDeadline()));
      know(k.observe(stored, now));
      attempts.plan(now);
      finish();
      return;
    }
    Term t = new Term(identity, name, Term.tokenOf(stored), time, now, validUntil);
    term = t;
    know(k.stored(stored, now));
    t.arm(scheduler, () -> loop.execute(() -> expire(time.nanoTime())));
    log.info(
        "{} became leader of {} (fencing token {}, valid until +{})",
        identity,
        name,
        t.fencingToken(),
        LeaderElectionConfig.format(Duration.ofNanos(validUntil - now)));
    watch(false);
    notify.started(t);
    nextLeadership.complete(t);
    // The first renewal comes a random part of a period early, so that many electors that began
    // together (after an outage) do not renew in lock-step; later ones follow every period.
    long first = timing.retryNanos() - (long) (timing.retryNanos() * 0.5 * random.getAsDouble());
    attempts.plan(writeStart + first);
    finish();
  }

  private void renewed(Term t, LeaseRecord stored, long start, long now) {
    know(k.stored(stored, now));
    notify.renewed(Duration.ofNanos(now - start));
    t.renewed(
        start + timing.renewDeadlineNanos(),
        scheduler,
        () -> loop.execute(() -> expire(time.nanoTime())));
    if (expire(now)) {
      finish(); // came back after the deadline (a freeze): the renewal does not extend the term
      return;
    }
    attempts.plan(start + timing.retryNanos());
    finish();
  }

  private void failed(Operation op, Decision.Kind kind, Throwable error, long now, long start) {
    calls.failed(op, error);
    Action next =
        Decision.afterFailure(
            k,
            kind,
            LockCalls.isConflict(error),
            LockCalls.retryAfter(error),
            now,
            timing,
            random.getAsDouble());
    act(new Outcome(k, next), start);
  }

  /** {@return the timeout of a call starting now: the time left in the term, at most the cap} */
  private long beginCall() {
    if (!attempts.inFlight()) {
      attempts.begin();
      notify.attempt(term != null);
    }
    Term t = term;
    long left = t == null ? callCapNanos : t.validUntilNanos() - time.nanoTime();
    return Math.max(1, Math.min(left, callCapNanos));
  }

  /** A call returned: whether to go on (the elector runs); ends a term past its deadline. */
  private boolean running(long now) {
    if (!running) {
      finish();
      return false;
    }
    expire(now);
    return true;
  }

  /** The attempt in flight is over: plan what was asked meanwhile; follow with the watch. */
  private void finish() {
    attempts.finish();
    watch(running && term == null);
    if (redecide && running) {
      redecide = false;
      attempts.plan(time.nanoTime());
    }
  }

  /** Ends the term if its window has closed; {@return whether it did} */
  private boolean expire(long now) {
    Term t = term;
    if (t == null || !t.pastDeadline(now)) {
      return false;
    }
    end(t, EndReason.RENEW_DEADLINE_EXCEEDED);
    attempts.plan(now);
    return true;
  }

  /** Ends the current term {@code t} (through {@link Term#end}, the only place a term ends). */
  private void end(Term t, EndReason reason) {
    if (term == t && t.end(reason, time.nanoTime())) {
      ended(t, reason);
    }
  }

  /** After {@code t} ended: follow, tell. */
  private void ended(Term t, EndReason reason) {
    term = null;
    nextLeadership = new CompletableFuture<>();
    if (k.leading()) {
      boolean lost = reason == EndReason.LOST || reason == EndReason.RENEW_DEADLINE_EXCEEDED;
      know(k.termEnded(!lost || timing.rejoin()));
    }
    if (reason == EndReason.RENEW_DEADLINE_EXCEEDED) {
      log.warn(
          "{} stops leading {}: no renewal succeeded within renewDeadline {}",
          identity,
          name,
          LeaderElectionConfig.format(config.renewDeadline()));
    }
    watch(running);
    notify.ended(t, reason);
  }

  /** Opens or closes the watch; a new watch does not count as delivering until it delivers. */
  private void watch(boolean wanted) {
    watch.want(wanted);
    know(k.watching(watch.delivering()));
  }

  /** Keeps {@code next}, and tells of a new holder. */
  private void know(Knowledge next) {
    k = next;
    LeaseRecord o = next.observed();
    String holder = o == null || next.absent() ? null : o.holderIdentity();
    if (holder != null && !holder.isEmpty() && !holder.equals(lastLeader)) {
      lastLeader = holder;
      log.info("{}: new leader observed: {}", name, LeaseIdentity.printable(holder));
      notify.newLeader(holder);
    }
  }

  private void reportDuplicate(Action a, @Nullable LeaseRecord r) {
    if (!a.duplicate() || r == null) {
      return;
    }
    Knowledge.Mark m = Knowledge.Mark.of(r);
    if (m.equals(reportedDuplicate)) {
      return;
    }
    reportedDuplicate = m;
    log.error(
        "Another process uses this elector's identity {} for {}: the Lease names it, but with"
            + " acquireTime {} and leaseTransitions {}, which no term of this process wrote. Two"
            + " processes with one identity would both believe they lead; this one does not lead"
            + " and will not write over that record until it expires. Give every process its own"
            + " identity (LeaseIdentity.defaultIdentity() adds a random suffix).",
        LeaseIdentity.printable(identity),
        name,
        r.acquireTime(),
        r.leaseTransitions());
    notify.listeners(l -> l.onDuplicateIdentity(identity));
  }

  private static String holderOf(Knowledge k) {
    LeaseRecord o = k.observed();
    if (k.absent() || o == null) {
      return "deleted";
    }
    return o.isHeld() ? "held by " + LeaseIdentity.printable(o.holderIdentity()) : "released";
  }
}
