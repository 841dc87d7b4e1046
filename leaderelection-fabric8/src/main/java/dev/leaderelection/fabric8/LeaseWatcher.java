package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one Lease: lists it (by field selector on its name) to get a resourceVersion, then
 * watches from there, with bookmarks. After the stream ends it watches on from the last
 * resourceVersion seen; after {@code 410 Gone} it lists again; after errors it backs off (up to 5
 * s, or 30 s after {@code 403}). Each stream is asked to end after 4-6 minutes, and one that stays
 * silent 30 s longer than that is given up as dead, so a half-open connection cannot silence the
 * watch for long.
 *
 * <p>Pushes a record when the Lease's resourceVersion changes, and {@code null} when it goes from
 * present to absent. The listener runs on the HTTP client's I/O thread and must return quickly.
 */
final class LeaseWatcher implements LeaseLock.Watch {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseWatcher.class);
  private static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);
  private static final long MIN_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 5_000;
  private static final long FORBIDDEN_BACKOFF_MS = 30_000;

  private final KubernetesLeaseLock lock;
  private final LeaseLock.ChangeListener listener;
  private final String selector;
  private final Scheduler scheduler;

  // Guarded by this.
  private boolean closed;
  private long generation;
  private @Nullable String resourceVersion;
  private @Nullable AsyncBody stream;
  private @Nullable CompletableFuture<?> pending;
  private int failures;
  private boolean warnedForbidden;
  private boolean healthy; // not delivering until the stream is open after the initial list
  private boolean lastFailureForbidden;
  private boolean relistWanted;

  // What was last pushed; only touched by the (sequential) event flow.
  private volatile @Nullable String pushedVersion;
  private volatile boolean pushedPresent;

  private LeaseWatcher(
      KubernetesLeaseLock lock, LeaseLock.ChangeListener listener, Scheduler scheduler) {
    this.lock = lock;
    this.scheduler = scheduler;
    this.listener = listener;
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
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      generation++;
      s = stream;
      p = pending;
      stream = null;
      pending = null;
    }
    if (s != null) {
      s.cancel();
    }
    if (p != null) {
      p.cancel(true);
    }
  }

  // ---- list ---------------------------------------------------------------------------------

  private void list() {
    long gen;
    synchronized (this) {
      if (closed) {
        return;
      }
      gen = ++generation;
      relistWanted = false;
    }
    HttpRequest req = lock.request(lock.leasesUrl() + "?" + selector, LIST_TIMEOUT).build();
    CompletableFuture<Optional<String>> f =
        lock.call(
            "list",
            req,
            LIST_TIMEOUT,
            resp -> {
              if (resp.code() != 200) {
                throw lock.failure("list", resp);
              }
              Map<?, ?> list = lock.readMap("list", resp.body());
              String rv = LeaseJson.resourceVersion(list);
              Object items = list.get("items");
              Map<?, ?> item =
                  items instanceof List<?> l && !l.isEmpty() ? LeaseJson.map(l.get(0)) : null;
              return rv == null ? Optional.<String>empty() : Optional.of(handleListed(item, rv));
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
                schedule(this::list);
              } else if (rv.isEmpty()) {
                failed("list", lock.errors().unreadable("list", null));
                schedule(this::list);
              } else {
                synchronized (this) {
                  failures = 0;
                  resourceVersion = rv.get();
                }
                watch();
              }
            });
  }

  private String handleListed(@Nullable Map<?, ?> item, String listVersion) {
    if (item == null || item.isEmpty()) {
      pushAbsent();
    } else {
      lock.remember(item);
      push(LeaseJson.toRecord(item));
    }
    return listVersion;
  }

  // ---- watch --------------------------------------------------------------------------------

  private void watch() {
    long gen;
    String rv;
    synchronized (this) {
      if (closed) {
        return;
      }
      gen = ++generation;
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
    // The request timeout is an idle timeout for the stream: a healthy stream ends after
    // serverTimeout, one silent for longer than that plus 30 s is dead.
    HttpRequest req = lock.request(url, Duration.ofSeconds(serverTimeout + 30)).build();
    LineSplitter lines = new LineSplitter(gen);
    long started = System.nanoTime();
    CompletableFuture<HttpResponse<AsyncBody>> f;
    try {
      f = lock.http().consumeBytes(req, lines);
    } catch (RuntimeException e) {
      failed("watch", e);
      schedule(this::watch);
      return;
    }
    setPending(gen, f);
    var unused =
        f.whenComplete(
            (resp, err) -> {
              if (!current(gen)) {
                if (resp != null) {
                  resp.body().cancel();
                }
                return;
              }
              if (err != null) {
                failed("watch", err);
                schedule(this::watch);
                return;
              }
              if (!resp.isSuccessful()) {
                resp.body().cancel();
                int code = resp.code();
                if (code == 410) {
                  list();
                  return;
                }
                failed(
                    "watch",
                    lock.errors().fromStatus("watch", code, Map.of(), resp.header("Retry-After")));
                schedule(code == 403 ? this::list : this::watch);
                return;
              }
              AsyncBody body = resp.body();
              synchronized (this) {
                if (!current(gen)) {
                  body.cancel();
                  return;
                }
                stream = body;
                failures = 0;
              }
              health(true);
              body.consume();
              var unusedDone =
                  body.done()
                      .whenComplete(
                          (v, e) -> {
                            boolean relist;
                            synchronized (this) {
                              if (!current(gen)) {
                                return;
                              }
                              stream = null;
                              relist = relistWanted;
                            }
                            if (relist) {
                              list();
                            } else if (e != null) {
                              failed("watch", e);
                              schedule(this::watch);
                            } else if (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(1)) {
                              // Ended at once: do not spin.
                              synchronized (this) {
                                failures++;
                              }
                              schedule(this::watch);
                            } else {
                              watch();
                            }
                          });
            });
  }

  /** Handles one watch event (one JSON line). */
  private void onEvent(long gen, String line) {
    if (!current(gen) || line.isBlank()) {
      return;
    }
    Map<?, ?> event;
    try {
      event = lock.readMap("watch", line);
    } catch (LeaseLockException e) {
      LOG.debug("{}: ignoring an unreadable watch event: {}", lock.description(), line);
      return;
    }
    String type = LeaseJson.string(event.get("type"));
    Map<?, ?> object = LeaseJson.map(event.get("object"));
    if (type == null) {
      return;
    }
    switch (type) {
      case "ADDED", "MODIFIED" -> {
        advance(gen, LeaseJson.resourceVersion(object));
        lock.remember(object);
        push(LeaseJson.toRecord(object));
      }
      case "DELETED" -> {
        advance(gen, LeaseJson.resourceVersion(object));
        pushAbsent();
      }
      case "BOOKMARK" -> advance(gen, LeaseJson.resourceVersion(object));
      case "ERROR" -> {
        Integer code = LeaseJson.int32(object.get("code"));
        AsyncBody s;
        synchronized (this) {
          if (!current(gen)) {
            return;
          }
          if (code != null && code == 410) {
            relistWanted = true;
          }
          s = stream;
        }
        LOG.debug(
            "{}: watch ended by the API server: {}",
            lock.description(),
            LeaseJson.string(object.get("message")));
        if (s != null) {
          // done() completes and the loop goes on (re-listing after 410).
          s.cancel();
        }
      }
      default -> {
        // unknown event type: ignore
      }
    }
  }

  private synchronized void advance(long gen, @Nullable String rv) {
    if (rv != null && current(gen)) {
      resourceVersion = rv;
    }
  }

  // ---- pushes ---------------------------------------------------------------------------------

  private void push(LeaseRecord record) {
    String v = record.version();
    if (pushedPresent && v != null && v.equals(pushedVersion)) {
      return;
    }
    pushedPresent = true;
    pushedVersion = v;
    tell(record);
  }

  private void pushAbsent() {
    if (!pushedPresent) {
      return;
    }
    pushedPresent = false;
    pushedVersion = null;
    tell(null);
  }

  /** Tells the listener when the watch stops or resumes delivering changes. */
  private void health(boolean nowHealthy) {
    synchronized (this) {
      if (closed || healthy == nowHealthy) {
        return;
      }
      healthy = nowHealthy;
    }
    try {
      listener.watchHealthChanged(nowHealthy);
    } catch (RuntimeException e) {
      LOG.warn("{}: the watch listener threw", lock.description(), e);
    }
  }

  private void tell(@Nullable LeaseRecord record) {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    try {
      listener.leaseChanged(record);
    } catch (RuntimeException e) {
      LOG.warn("{}: the watch listener threw", lock.description(), e);
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private synchronized boolean current(long gen) {
    return !closed && gen == generation;
  }

  private synchronized void setPending(long gen, CompletableFuture<?> f) {
    if (gen == generation) {
      pending = f;
    }
  }

  private void failed(String verb, Throwable err) {
    Throwable t = LeaseErrors.unwrap(err);
    boolean forbidden =
        t instanceof LeaseLockException e && e.reason() == LeaseLockException.Reason.FORBIDDEN;
    boolean warn;
    synchronized (this) {
      failures++;
      lastFailureForbidden = forbidden;
      warn = forbidden && !warnedForbidden;
      if (forbidden) {
        warnedForbidden = true;
      }
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

  private void schedule(Runnable next) {
    long delay;
    synchronized (this) {
      if (closed) {
        return;
      }
      long base =
          lastFailureForbidden && failures > 0
              ? FORBIDDEN_BACKOFF_MS
              : Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures, 10));
      delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
      generation++; // whatever was running is superseded
    }
    var unusedTimer = scheduler.schedule(next, Duration.ofMillis(delay));
  }

  /** Splits the byte stream into lines and hands each complete one to {@link #onEvent}. */
  private final class LineSplitter implements AsyncBody.Consumer<List<ByteBuffer>> {
    private final long gen;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    LineSplitter(long gen) {
      this.gen = gen;
    }

    @Override
    public void consume(List<ByteBuffer> buffers, AsyncBody body) {
      for (ByteBuffer b : buffers) {
        while (b.hasRemaining()) {
          byte c = b.get();
          if (c == '\n') {
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
