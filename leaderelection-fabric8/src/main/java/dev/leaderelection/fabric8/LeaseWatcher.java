package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one Lease, as client-go's reflector does for one object: list it (field selector on its
 * name) for a resourceVersion, then watch from there with bookmarks; after the stream ends, watch
 * on from the last resourceVersion seen; after {@code 410 Gone}, list again; after errors, back off
 * (0.2 s doubling to 5 s, or 30 s after {@code 403}). Each stream asks the server to end it after
 * 4-6 minutes; one still open 30 s after that is taken for a dead connection and dropped. Every
 * timer runs on the election's {@link Scheduler}, so a manual scheduler drives all of it.
 *
 * <p>Why not fabric8's own {@code watch()} or an informer: {@code watch()} blocks its caller until
 * the connection is up (up to the request timeout, which would stall the shared scheduler thread),
 * opens a WebSocket per watch by default (a connection each; HTTP/2 cannot share them), and runs
 * its reconnect timers on fabric8's executor, which neither the election's scheduler nor a test's
 * manual clock drives; an informer adds a cache per Lease on top and tells no one when its watch
 * stops delivering. The election needs exactly two things more than the events: whether the watch
 * is delivering, and a fresh list after {@code 410}.
 *
 * <p>Pushes a record when the Lease's resourceVersion changes, and {@code null} when it goes from
 * present to absent. The listener runs on the HTTP client's I/O thread and must return quickly.
 */
final class LeaseWatcher implements LeaseLock.Watch {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseWatcher.class);
  static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);
  static final long MIN_BACKOFF_MS = 200;
  static final long MAX_BACKOFF_MS = 5_000;
  static final long FORBIDDEN_BACKOFF_MS = 30_000;

  /** How long after the server should have ended a stream it is given up as dead. */
  static final Duration DEAD_STREAM_MARGIN = Duration.ofSeconds(30);

  private final KubernetesLeaseLock lock;
  private final Fabric8Calls calls;
  private final LeaseLock.ChangeListener listener;
  private final Scheduler scheduler;
  private final String selector;

  // Guarded by this. Each list, watch and timer carries the generation it was started in; a
  // newer generation supersedes it.
  private boolean closed;
  private long generation;
  private @Nullable String resourceVersion;
  private @Nullable AsyncBody stream;
  private @Nullable CompletableFuture<?> pending;
  private Scheduler.@Nullable Cancellable timer;
  private int failures;
  private boolean forbidden;
  private boolean warnedForbidden;
  private boolean healthy;
  private @Nullable String pushedVersion;
  private boolean pushedPresent;

  private LeaseWatcher(
      KubernetesLeaseLock lock, LeaseLock.ChangeListener listener, Scheduler scheduler) {
    this.lock = lock;
    this.calls = lock.calls();
    this.listener = listener;
    this.scheduler = scheduler;
    this.selector = "fieldSelector=metadata.name%3D" + lock.name();
  }

  static LeaseWatcher start(
      KubernetesLeaseLock lock, LeaseLock.ChangeListener listener, Scheduler scheduler) {
    LeaseWatcher w = new LeaseWatcher(lock, listener, scheduler);
    w.list();
    return w;
  }

  @Override
  public void close() {
    AsyncBody s;
    CompletableFuture<?> p;
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
      p.cancel(true);
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
    HttpRequest req = calls.request(lock.leasesUrl() + "?" + selector, LIST_TIMEOUT).build();
    CompletableFuture<String> f =
        calls.call(
            "list",
            req,
            LIST_TIMEOUT,
            scheduler,
            resp -> {
              if (resp.code() != 200) {
                throw calls.failure("list", resp.code(), resp.body(), resp);
              }
              LeaseList list = calls.read("list", resp.body(), LeaseList.class);
              String rv =
                  list.getMetadata() == null ? null : list.getMetadata().getResourceVersion();
              if (rv == null) {
                throw calls.errors.unreadable("list", null);
              }
              List<Lease> items = list.getItems();
              if (current(gen)) {
                push(items == null || items.isEmpty() ? null : lock.remember(items.get(0)));
              }
              return rv;
            });
    setPending(gen, f);
    var unused =
        f.whenComplete(
            (rv, err) -> {
              if (!current(gen)) {
                return;
              }
              if (err != null) {
                failed("list", err);
                retry(gen, this::list);
                return;
              }
              synchronized (this) {
                resourceVersion = rv;
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
    }
    if (rv == null) {
      list();
      return;
    }
    long serverTimeout = 240 + ThreadLocalRandom.current().nextLong(120);
    String url =
        lock.leasesUrl()
            + "?watch=true&allowWatchBookmarks=true&"
            + selector
            + "&resourceVersion="
            + rv
            + "&timeoutSeconds="
            + serverTimeout;
    // The HTTP client's own timeout is only a backstop; the scheduler drops a dead stream first.
    Duration deadline = Duration.ofSeconds(serverTimeout).plus(DEAD_STREAM_MARGIN);
    HttpRequest req = calls.request(url, deadline.plus(DEAD_STREAM_MARGIN)).build();
    LineSplitter lines = new LineSplitter(gen);
    CompletableFuture<HttpResponse<AsyncBody>> f;
    try {
      f = calls.http.consumeBytes(req, lines);
    } catch (RuntimeException e) {
      failed("watch", e);
      retry(gen, this::watch);
      return;
    }
    setPending(gen, f);
    arm(gen, deadline, () -> dropStream(gen));
    var unused =
        f.whenComplete(
            (resp, err) -> {
              if (!current(gen)) {
                if (resp != null) {
                  resp.body().cancel();
                }
              } else if (err != null) {
                failed("watch", err);
                retry(gen, this::watch);
              } else if (!resp.isSuccessful()) {
                resp.body().cancel();
                int code = resp.code();
                if (code == 410) {
                  list();
                  return;
                }
                failed(
                    "watch",
                    calls.failure("watch", code, (Status) null, resp.header("Retry-After")));
                retry(gen, code == 403 ? this::list : this::watch);
              } else {
                opened(gen, resp.body(), lines);
              }
            });
  }

  private void opened(long gen, AsyncBody body, LineSplitter lines) {
    synchronized (this) {
      if (!current(gen)) {
        body.cancel();
        return;
      }
      stream = body;
      failures = 0;
      forbidden = false;
    }
    health(true);
    body.consume();
    var unused =
        body.done()
            .whenComplete(
                (v, e) -> {
                  synchronized (this) {
                    if (!current(gen)) {
                      return;
                    }
                    stream = null;
                  }
                  if (e != null) {
                    failed("watch", e);
                    retry(gen, this::watch);
                  } else if (!lines.sawAny) {
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
    AsyncBody s;
    synchronized (this) {
      s = current(gen) ? stream : null;
    }
    if (s != null) {
      LOG.debug("{}: the watch stream went silent; reconnecting", lock.description());
      s.cancel(); // done() completes and the loop watches on
    }
  }

  /** Handles one watch event (one JSON line). */
  private void onEvent(long gen, String line) {
    if (!current(gen) || line.isBlank()) {
      return;
    }
    WatchEvent event;
    try {
      event = calls.read("watch", line, WatchEvent.class);
    } catch (LeaseLockException e) {
      LOG.debug("{}: ignoring an unreadable watch event: {}", lock.description(), line);
      return;
    }
    String type = event.getType() == null ? "" : event.getType();
    Object object = event.getObject();
    if (type.equals("ERROR")) {
      AsyncBody s;
      synchronized (this) {
        if (object instanceof Status st && Integer.valueOf(410).equals(st.getCode())) {
          resourceVersion = null; // the next watch() lists first
        }
        s = stream;
      }
      LOG.debug("{}: watch ended by the API server: {}", lock.description(), object);
      if (s != null) {
        s.cancel(); // done() completes and the loop goes on
      }
      return;
    }
    if (object instanceof HasMetadata h && h.getMetadata() != null) {
      advance(gen, h.getMetadata().getResourceVersion());
    }
    if ((type.equals("ADDED") || type.equals("MODIFIED")) && object instanceof Lease lease) {
      push(lock.remember(lease));
    } else if (type.equals("DELETED")) {
      push(null);
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
      LOG.warn("{}: the watch listener threw", lock.description(), e);
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

  private synchronized void setPending(long gen, CompletableFuture<?> f) {
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

  private void failed(String verb, Throwable err) {
    Throwable t = LeaseLockException.unwrap(err);
    boolean isForbidden =
        t instanceof LeaseLockException e && e.reason() == LeaseLockException.Reason.FORBIDDEN;
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
          lock.description(),
          verb,
          t.getMessage());
    } else {
      LOG.debug("{}: {} failed: {}", lock.description(), verb, t.toString());
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

  /** Splits the byte stream into lines and hands each complete one to {@link #onEvent}. */
  private final class LineSplitter implements AsyncBody.Consumer<List<ByteBuffer>> {
    private final long gen;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    volatile boolean sawAny;

    LineSplitter(long gen) {
      this.gen = gen;
    }

    @Override
    public void consume(List<ByteBuffer> buffers, AsyncBody body) {
      for (ByteBuffer b : buffers) {
        while (b.hasRemaining()) {
          byte c = b.get();
          if (c == '\n') {
            sawAny = true;
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            onEvent(gen, line);
          } else {
            partial.write(c);
          }
        }
      }
      body.consume();
    }
  }
}
