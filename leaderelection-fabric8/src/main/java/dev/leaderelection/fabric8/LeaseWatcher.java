package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.LeaseWatchLoop;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The requests of {@link KubernetesLeaseLock#watch} over fabric8's HTTP client; {@link
 * LeaseWatchLoop} decides when to make them.
 *
 * <p>Why not fabric8's own {@code watch()} or an informer: {@code watch()} blocks its caller until
 * the connection is up (up to the request timeout, which would stall the shared scheduler thread),
 * opens a WebSocket per watch by default (a connection each; HTTP/2 cannot share them), and runs
 * its reconnect timers on fabric8's executor, which neither the election's scheduler nor a test's
 * manual clock drives; an informer adds a cache per Lease on top and tells no one when its watch
 * stops delivering. The election needs exactly two things more than the events: whether the watch
 * is delivering, and a fresh list after {@code 410}. Events arrive on the HTTP client's I/O thread.
 */
final class LeaseWatcher implements LeaseWatchLoop.Transport {
  private final KubernetesLeaseLock lock;
  private final Fabric8Calls calls;
  private final String selector;

  private LeaseWatcher(KubernetesLeaseLock lock) {
    this.lock = lock;
    this.calls = lock.calls();
    this.selector = "fieldSelector=metadata.name%3D" + lock.name();
  }

  static LeaseLock.Watch start(
      KubernetesLeaseLock lock, LeaseLock.ChangeListener listener, Scheduler scheduler) {
    return LeaseWatchLoop.start(lock.description(), new LeaseWatcher(lock), listener, scheduler);
  }

  @Override
  public CompletionStage<LeaseWatchLoop.Listed> list(Duration timeout, Scheduler timer) {
    HttpRequest req = calls.request(lock.leasesUrl() + "?" + selector, timeout).build();
    return calls.call(
        "list",
        req,
        timeout,
        timer,
        resp -> {
          if (resp.code() != 200) {
            throw calls.failure("list", resp.code(), resp.body(), resp);
          }
          LeaseList list = calls.read("list", resp.body(), LeaseList.class);
          String rv = list.getMetadata() == null ? null : list.getMetadata().getResourceVersion();
          if (rv == null) {
            throw calls.errors.unreadable("list", null);
          }
          List<Lease> items = list.getItems();
          return new LeaseWatchLoop.Listed(
              items == null || items.isEmpty() ? null : lock.remember(items.get(0)), rv);
        });
  }

  @Override
  public CompletionStage<LeaseWatchLoop.Stream> watch(
      String resourceVersion, long timeoutSeconds, LeaseWatchLoop.Events events) {
    String url =
        lock.leasesUrl()
            + "?watch=true&allowWatchBookmarks=true&"
            + selector
            + "&resourceVersion="
            + resourceVersion
            + "&timeoutSeconds="
            + timeoutSeconds;
    // The HTTP client's own timeout is only a backstop; the loop drops a dead stream first.
    Duration backstop =
        Duration.ofSeconds(timeoutSeconds).plus(LeaseWatchLoop.DEAD_STREAM_MARGIN.multipliedBy(2));
    HttpRequest req = calls.request(url, backstop).build();
    LineSplitter lines = new LineSplitter(events);
    return calls
        .http
        .consumeBytes(req, lines)
        .<LeaseWatchLoop.Stream>thenApply(
            resp -> {
              if (!resp.isSuccessful()) {
                resp.body().cancel();
                int code = resp.code();
                if (code == 410) {
                  throw LeaseWatchLoop.gone();
                }
                throw calls.failure("watch", code, (Status) null, resp.header("Retry-After"));
              }
              AsyncBody body = resp.body();
              return new LeaseWatchLoop.Stream() {
                @Override
                public void start() {
                  body.consume();
                }

                @Override
                public void cancel() {
                  body.cancel();
                }

                @Override
                public CompletionStage<?> done() {
                  return body.done();
                }
              };
            })
        .exceptionallyCompose(
            e -> {
              Throwable t = LeaseLockException.unwrap(e);
              return CompletableFuture.failedFuture(
                  LeaseWatchLoop.isGone(t) || t instanceof LeaseLockException
                      ? t
                      : calls.errors.transport("watch", t));
            });
  }

  /** One line of the stream as an event. */
  private LeaseWatchLoop.Event event(String line) {
    WatchEvent event;
    try {
      event = calls.read("watch", line, WatchEvent.class);
    } catch (LeaseLockException e) {
      return new LeaseWatchLoop.Event(LeaseWatchLoop.Type.UNREADABLE, null, null, null);
    }
    LeaseWatchLoop.Type type;
    try {
      type = LeaseWatchLoop.Type.valueOf(String.valueOf(event.getType()).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return new LeaseWatchLoop.Event(LeaseWatchLoop.Type.UNREADABLE, null, null, null);
    }
    Object object = event.getObject();
    if (type == LeaseWatchLoop.Type.ERROR) {
      return new LeaseWatchLoop.Event(
          type, null, null, object instanceof Status st ? st.getCode() : null);
    }
    String rv =
        object instanceof HasMetadata h && h.getMetadata() != null
            ? h.getMetadata().getResourceVersion()
            : null;
    return new LeaseWatchLoop.Event(
        type,
        rv,
        (type == LeaseWatchLoop.Type.ADDED || type == LeaseWatchLoop.Type.MODIFIED)
                && object instanceof Lease lease
            ? lock.remember(lease)
            : null,
        null);
  }

  /** Splits the byte stream into lines and hands each complete, non-blank one on as an event. */
  private final class LineSplitter implements AsyncBody.Consumer<List<ByteBuffer>> {
    private final LeaseWatchLoop.Events events;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    LineSplitter(LeaseWatchLoop.Events events) {
      this.events = events;
    }

    @Override
    public void consume(List<ByteBuffer> buffers, AsyncBody body) {
      for (ByteBuffer b : buffers) {
        while (b.hasRemaining()) {
          byte c = b.get();
          if (c == '\n') {
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            if (!line.isBlank()) {
              events.event(event(line));
            }
          } else {
            partial.write(c);
          }
        }
      }
      body.consume();
    }
  }
}
