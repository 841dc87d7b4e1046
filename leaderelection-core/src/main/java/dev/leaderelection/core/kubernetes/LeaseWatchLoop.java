package dev.leaderelection.core.kubernetes;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch of one Lease, whatever HTTP client carries it, as client-go's reflector watches one
 * object: list it (field selector on its name) for a resourceVersion, then watch from there with
 * bookmarks; after the stream ends, watch on from the last resourceVersion seen; after {@code 410
 * Gone}, list again; after errors, back off (0.2 s doubling to 5 s, or 30 s after {@code 403}).
 * Each stream asks the server to end it after 4-6 minutes; one still open {@link
 * #DEAD_STREAM_MARGIN} after that is taken for a dead connection and dropped. Every timer runs on
 * the election's {@link Scheduler}, so a manual scheduler drives all of it.
 *
 * <p>A backend supplies the two requests as a {@link Transport}; this loop decides when to make
 * them and what to tell the {@link LeaseLock.ChangeListener}: a record when the Lease's
 * resourceVersion changes, {@code null} when it goes from present to absent, and whether the watch
 * delivers ({@code true} once a stream is open after a list, {@code false} after any failure). The
 * listener runs on whatever thread the transport completes on and must return quickly.
 *
 * <p>For {@code LeaseLock} backends on a Kubernetes API server; thread-safe.
 */
public final class LeaseWatchLoop implements LeaseLock.Watch {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseWatchLoop.class);

  /** How long a list may take. */
  public static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);

  /** How long after the server should have ended a stream it is given up as dead. */
  public static final Duration DEAD_STREAM_MARGIN = Duration.ofSeconds(30);

  static final long MIN_BACKOFF_MS = 200;
  static final long MAX_BACKOFF_MS = 5_000;
  static final long FORBIDDEN_BACKOFF_MS = 30_000;

  /** The two requests of a watch, made by a backend with its HTTP client. */
  public interface Transport {
    /**
     * Lists the Lease ({@code GET …/leases?fieldSelector=metadata.name=NAME}).
     *
     * @param timeout how long the list may take; the stage must complete by then
     * @param timer the election's scheduler, to time the call with
     * @return the list's resourceVersion and the Lease's record (null if absent); fails with a
     *     {@link LeaseLockException}
     */
    CompletionStage<Listed> list(Duration timeout, Scheduler timer);

    /**
     * Opens a watch ({@code …?watch=true&allowWatchBookmarks=true&fieldSelector=…
     * &resourceVersion=RV&timeoutSeconds=T}) and hands each event of its stream to {@code events}
     * until the stream ends.
     *
     * @param resourceVersion where the watch starts
     * @param timeoutSeconds when the server is asked to end the stream
     * @param events where the stream's events go, in order, on the transport's thread
     * @return completes once the server answered: with the open stream; or exceptionally with
     *     {@link #gone()} for {@code 410 Gone}, else with a {@link LeaseLockException}
     */
    CompletionStage<Stream> watch(String resourceVersion, long timeoutSeconds, Events events);
  }

  /**
   * A list's answer.
   *
   * @param record the Lease's record, or {@code null} if it does not exist
   * @param resourceVersion the list's resourceVersion, where the watch starts
   */
  public record Listed(@Nullable LeaseRecord record, String resourceVersion) {}

  /** An open watch stream. */
  public interface Stream {
    /**
     * Begins handing the stream's events on. The loop calls it once, after it took the stream on
     * (or calls {@link #cancel()} instead); no event may be handed on before.
     */
    void start();

    /** Closes the stream; {@link #done()} then completes. Idempotent. */
    void cancel();

    /**
     * {@return completes when the stream ends: normally when the server ended it, exceptionally
     * when the connection failed}
     */
    CompletionStage<?> done();
  }

  /** Where a transport hands the events of a stream. */
  @FunctionalInterface
  public interface Events {
    /**
     * One event of the stream.
     *
     * @param event the event
     */
    void event(Event event);
  }

  /** The kinds of watch events. */
  public enum Type {
    /** The Lease was created (or first seen). */
    ADDED,
    /** The Lease changed. */
    MODIFIED,
    /** The Lease was deleted. */
    DELETED,
    /** No change; the resourceVersion moved on. */
    BOOKMARK,
    /** The server ended the watch with a {@code Status}. */
    ERROR,
    /** A line the transport could not read; ignored. */
    UNREADABLE
  }

  /**
   * One watch event.
   *
   * @param type what happened
   * @param resourceVersion the object's resourceVersion, if any
   * @param record the Lease's record, for {@code ADDED} and {@code MODIFIED}
   * @param errorCode the {@code Status.code} of an {@code ERROR} event, if any
   */
  public record Event(
      Type type,
      @Nullable String resourceVersion,
      @Nullable LeaseRecord record,
      @Nullable Integer errorCode) {}

  /**
   * {@return the failure with which a transport reports {@code 410 Gone} to a watch request: the
   * resourceVersion is too old, so the loop lists again}
   */
  public static RuntimeException gone() {
    return new Gone();
  }

  /**
   * Whether {@code failure} is one made by {@link #gone()}.
   *
   * @param failure a failure
   * @return whether it reports {@code 410 Gone}
   */
  public static boolean isGone(Throwable failure) {
    return failure instanceof Gone;
  }

  private static final class Gone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Gone() {
      super("410 Gone: the resourceVersion is too old", null, false, false);
    }
  }

  private final String description;
  private final Transport transport;
  private final LeaseLock.ChangeListener listener;
  private final Scheduler scheduler;

  // Guarded by this. Each list, watch and timer carries the generation it was started in; a
  // newer generation supersedes it.
  private boolean closed;
  private long generation;
  private @Nullable String resourceVersion;
  private @Nullable Stream stream;
  private @Nullable CompletionStage<?> pending;
  private Scheduler.@Nullable Cancellable timer;
  private int failures;
  private boolean forbidden;
  private boolean warnedForbidden;
  private boolean healthy;
  private boolean sawEvent;
  private @Nullable String pushedVersion;
  private boolean pushedPresent;

  private LeaseWatchLoop(
      String description,
      Transport transport,
      LeaseLock.ChangeListener listener,
      Scheduler scheduler) {
    this.description = description;
    this.transport = transport;
    this.listener = listener;
    this.scheduler = scheduler;
  }

  /**
   * Starts watching: lists at once.
   *
   * @param description the lock's description, for logs
   * @param transport the backend's requests
   * @param listener told of changes and of the watch's health
   * @param scheduler the election's scheduler, for every timer
   * @return the running watch
   */
  public static LeaseWatchLoop start(
      String description,
      Transport transport,
      LeaseLock.ChangeListener listener,
      Scheduler scheduler) {
    LeaseWatchLoop w = new LeaseWatchLoop(description, transport, listener, scheduler);
    w.list();
    return w;
  }

  @Override
  public void close() {
    Stream s;
    CompletionStage<?> p;
    Scheduler.Cancellable t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      generation++;
      s = stream;
      p = pending;
      t = timer;
      stream = null;
      pending = null;
      timer = null;
    }
    if (s != null) {
      s.cancel();
    }
    if (p != null) {
      p.toCompletableFuture().cancel(true);
    }
    if (t != null) {
      t.cancel();
    }
  }

  // ---- list ---------------------------------------------------------------------------------

  private void list() {
    long gen = next();
    if (gen < 0) {
      return;
    }
    CompletionStage<Listed> f;
    try {
      f = transport.list(LIST_TIMEOUT, scheduler);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    setPending(gen, f);
    var unused =
        f.whenComplete(
            (listed, err) -> {
              if (!current(gen)) {
                return;
              }
              if (err != null) {
                failed("list", err);
                retry(gen, this::list);
                return;
              }
              push(listed.record());
              synchronized (this) {
                resourceVersion = listed.resourceVersion();
              }
              watch();
            });
  }

  // ---- watch --------------------------------------------------------------------------------

  private void watch() {
    long gen = next();
    if (gen < 0) {
      return;
    }
    String rv;
    synchronized (this) {
      rv = resourceVersion;
      sawEvent = false;
    }
    if (rv == null) {
      list();
      return;
    }
    long serverTimeout = 240 + ThreadLocalRandom.current().nextLong(120);
    CompletionStage<Stream> f;
    try {
      f = transport.watch(rv, serverTimeout, e -> onEvent(gen, e));
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    setPending(gen, f);
    arm(gen, Duration.ofSeconds(serverTimeout).plus(DEAD_STREAM_MARGIN), () -> dropStream(gen));
    var unused =
        f.whenComplete(
            (s, err) -> {
              if (!current(gen)) {
                if (s != null) {
                  s.cancel();
                }
              } else if (err != null) {
                Throwable t = LeaseLockException.unwrap(err);
                if (t instanceof Gone) {
                  list();
                  return;
                }
                failed("watch", t);
                retry(gen, isForbidden(t) ? this::list : this::watch);
              } else {
                opened(gen, s);
              }
            });
  }

  private void opened(long gen, Stream s) {
    synchronized (this) {
      if (!current(gen)) {
        s.cancel();
        return;
      }
      stream = s;
      failures = 0;
      forbidden = false;
    }
    health(true);
    s.start();
    var unused =
        s.done()
            .whenComplete(
                (v, e) -> {
                  boolean any;
                  synchronized (this) {
                    if (!current(gen)) {
                      return;
                    }
                    stream = null;
                    any = sawEvent;
                  }
                  if (e != null) {
                    failed("watch", e);
                    retry(gen, this::watch);
                  } else if (!any) {
                    // Ended before saying anything: do not spin.
                    synchronized (this) {
                      failures++;
                    }
                    retry(gen, this::watch);
                  } else {
                    watch();
                  }
                });
  }

  /** The stream outlived the time the server was asked to end it in: the connection is dead. */
  private void dropStream(long gen) {
    Stream s;
    synchronized (this) {
      s = current(gen) ? stream : null;
    }
    if (s != null) {
      LOG.debug("{}: the watch stream went silent; reconnecting", description);
      s.cancel(); // done() completes and the loop watches on
    }
  }

  private void onEvent(long gen, Event event) {
    if (!current(gen)) {
      return;
    }
    synchronized (this) {
      sawEvent = true;
    }
    switch (event.type()) {
      case ERROR -> {
        Stream s;
        synchronized (this) {
          if (Integer.valueOf(410).equals(event.errorCode())) {
            resourceVersion = null; // the next watch() lists first
          }
          s = stream;
        }
        LOG.debug("{}: watch ended by the API server (code {})", description, event.errorCode());
        if (s != null) {
          s.cancel(); // done() completes and the loop goes on
        }
      }
      case ADDED, MODIFIED -> {
        advance(gen, event.resourceVersion());
        if (event.record() != null) {
          push(event.record());
        }
      }
      case DELETED -> {
        advance(gen, event.resourceVersion());
        push(null);
      }
      case BOOKMARK -> advance(gen, event.resourceVersion());
      case UNREADABLE -> LOG.debug("{}: ignoring an unreadable watch event", description);
    }
  }

  // ---- pushes ---------------------------------------------------------------------------------

  /** Tells the listener of {@code record} ({@code null}: deleted) unless it was told already. */
  private void push(@Nullable LeaseRecord record) {
    String v = record == null ? null : record.version();
    synchronized (this) {
      boolean seen =
          record == null ? !pushedPresent : pushedPresent && v != null && v.equals(pushedVersion);
      if (closed || seen) {
        return;
      }
      pushedPresent = record != null;
      pushedVersion = v;
    }
    tell(() -> listener.leaseChanged(record));
  }

  private void tell(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.warn("{}: the watch listener threw", description, e);
    }
  }

  /** Tells the listener when the watch stops or resumes delivering changes. */
  private void health(boolean nowHealthy) {
    synchronized (this) {
      if (closed || healthy == nowHealthy) {
        return;
      }
      healthy = nowHealthy;
    }
    tell(() -> listener.watchHealthChanged(nowHealthy));
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** Starts a new generation (superseding what runs); {@code -1} once closed. */
  private synchronized long next() {
    if (closed) {
      return -1;
    }
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
    return ++generation;
  }

  private synchronized boolean current(long gen) {
    return !closed && gen == generation;
  }

  private synchronized void advance(long gen, @Nullable String rv) {
    if (rv != null && current(gen)) {
      resourceVersion = rv;
    }
  }

  private synchronized void setPending(long gen, CompletionStage<?> f) {
    if (gen == generation) {
      pending = f;
    }
  }

  /** Sets the one timer of generation {@code gen}, replacing the one before. */
  private synchronized void arm(long gen, Duration delay, Runnable task) {
    if (current(gen)) {
      if (timer != null) {
        timer.cancel();
      }
      timer = scheduler.schedule(task, delay);
    }
  }

  private static boolean isForbidden(Throwable t) {
    return t instanceof LeaseLockException e && e.reason() == LeaseLockException.Reason.FORBIDDEN;
  }

  private void failed(String verb, Throwable err) {
    Throwable t = LeaseLockException.unwrap(err);
    boolean isForbidden = isForbidden(t);
    boolean warn;
    synchronized (this) {
      failures++;
      forbidden = isForbidden;
      warn = isForbidden && !warnedForbidden;
      warnedForbidden |= isForbidden;
    }
    health(false);
    if (warn) {
      LOG.warn(
          "{}: cannot {} the Lease, so followers poll instead of watching: {}",
          description,
          verb,
          t.getMessage());
    } else {
      LOG.debug("{}: {} failed: {}", description, verb, t.toString());
    }
  }

  /** Runs {@code next} after the back-off, unless generation {@code gen} was superseded. */
  private void retry(long gen, Runnable next) {
    long delay;
    synchronized (this) {
      if (!current(gen)) {
        return;
      }
      long base =
          forbidden
              ? FORBIDDEN_BACKOFF_MS
              : Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures, 10));
      delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }
    arm(
        gen,
        Duration.ofMillis(delay),
        () -> {
          if (current(gen)) {
            next.run();
          }
        });
  }
}
