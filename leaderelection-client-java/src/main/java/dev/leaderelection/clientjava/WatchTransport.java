package dev.leaderelection.clientjava;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.kubernetes.LeaseWatchLoop;
import io.kubernetes.client.openapi.Pair;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * The requests of {@link ClientJavaLeaseLock#watch} over OkHttp; {@link LeaseWatchLoop} decides
 * when to make them. A stream is read line by line on the watch dispatcher's thread that received
 * it (OkHttp has no non-blocking body), so each open stream holds that thread until it ends.
 */
final class WatchTransport implements LeaseWatchLoop.Transport {
  private final ClientJavaLeaseLock lock;
  private final OkHttpCalls calls;

  WatchTransport(ClientJavaLeaseLock lock) {
    this.lock = lock;
    this.calls = lock.calls();
  }

  private Pair selector() {
    return new Pair("fieldSelector", "metadata.name=" + lock.name());
  }

  @Override
  public CompletionStage<LeaseWatchLoop.Listed> list(Duration timeout, Scheduler timer) {
    Request req = calls.request(lock.leasesPath(), List.of(selector()), "GET", null);
    return calls.call(
        "list",
        req,
        timeout,
        timer,
        a -> {
          if (a.code() != 200) {
            throw calls.failure("list", a.code(), a.body(), a.retryAfter());
          }
          JsonObject list = calls.read("list", a.body());
          try {
            JsonObject m = LeaseJson.object(list, "metadata");
            String rv = m == null ? null : LeaseJson.string(m, "resourceVersion");
            if (rv == null) {
              throw calls.errors.unreadable("list", null);
            }
            return new LeaseWatchLoop.Listed(lock.rememberFirst(list), rv);
          } catch (LeaseJson.SchemaException e) {
            throw calls.errors.unreadable("list", e);
          }
        });
  }

  @Override
  public CompletionStage<LeaseWatchLoop.Stream> watch(
      String resourceVersion, long timeoutSeconds, LeaseWatchLoop.Events events) {
    Request req =
        calls.request(
            lock.leasesPath(),
            List.of(
                new Pair("watch", "true"),
                new Pair("allowWatchBookmarks", "true"),
                selector(),
                new Pair("resourceVersion", resourceVersion),
                new Pair("timeoutSeconds", Long.toString(timeoutSeconds))),
            "GET",
            null);
    Call call = calls.watchHttp.newCall(req);
    CompletableFuture<LeaseWatchLoop.Stream> opened = new CompletableFuture<>();
    AtomicReference<@Nullable Stream> handedOver = new AtomicReference<>();
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            opened.completeExceptionally(calls.errors.transport("watch", e));
          }

          @Override
          public void onResponse(Call c, Response response) {
            try (response) {
              if (!response.isSuccessful()) {
                int code = response.code();
                ResponseBody b = response.body();
                String body = b == null ? "" : b.string();
                opened.completeExceptionally(
                    code == 410
                        ? LeaseWatchLoop.gone()
                        : calls.failure("watch", code, body, response.header("Retry-After")));
                return;
              }
              Stream s = new Stream(call);
              handedOver.set(s);
              if (call.isCanceled()) {
                s.cancel(); // the loop gave up on this watch before it opened
              }
              opened.complete(s);
              s.read(response, events);
            } catch (IOException | RuntimeException e) {
              opened.completeExceptionally(calls.errors.transport("watch", e));
            }
          }
        });
    CompletableFuture<LeaseWatchLoop.Stream> result =
        opened.exceptionallyCompose(
            e -> {
              Throwable t = LeaseLockException.unwrap(e);
              return CompletableFuture.failedFuture(
                  LeaseWatchLoop.isGone(t) || t instanceof LeaseLockException
                      ? t
                      : calls.errors.transport("watch", t));
            });
    var unused =
        result.whenComplete(
            (s, e) -> {
              if (result.isCancelled()) { // the loop closed while the watch was opening
                call.cancel();
                Stream st = handedOver.get();
                if (st != null) {
                  st.cancel();
                }
              }
            });
    return result;
  }

  /** One line of the stream as an event. */
  private LeaseWatchLoop.Event event(String line) {
    try {
      JsonElement e = JsonParser.parseString(line);
      if (!(e instanceof JsonObject o)) {
        return unreadable();
      }
      String typeName = LeaseJson.string(o, "type");
      JsonObject object = LeaseJson.object(o, "object");
      if (typeName == null || object == null) {
        return unreadable();
      }
      LeaseWatchLoop.Type type = LeaseWatchLoop.Type.valueOf(typeName.toUpperCase(Locale.ROOT));
      if (type == LeaseWatchLoop.Type.ERROR) {
        Integer code =
            object.get("code") instanceof JsonPrimitive p && p.isNumber() ? p.getAsInt() : null;
        return new LeaseWatchLoop.Event(type, null, null, code);
      }
      String rv = LeaseJson.version(object);
      boolean change = type == LeaseWatchLoop.Type.ADDED || type == LeaseWatchLoop.Type.MODIFIED;
      return new LeaseWatchLoop.Event(type, rv, change ? lock.remember(object) : null, null);
    } catch (RuntimeException e) {
      return unreadable();
    }
  }

  private static LeaseWatchLoop.Event unreadable() {
    return new LeaseWatchLoop.Event(LeaseWatchLoop.Type.UNREADABLE, null, null, null);
  }

  /** An open stream, read on the thread that received its response. */
  private final class Stream implements LeaseWatchLoop.Stream {
    private final Call call;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean cancelled;

    Stream(Call call) {
      this.call = call;
    }

    @Override
    public void start() {
      started.complete(null);
    }

    @Override
    public void cancel() {
      cancelled = true;
      call.cancel();
      started.complete(null);
    }

    @Override
    public CompletionStage<?> done() {
      return done;
    }

    /** Reads the stream until it ends; called on the thread of the response, after it opened. */
    void read(Response response, LeaseWatchLoop.Events events) {
      try {
        started.get(); // the loop calls start() or cancel() when it took the stream on
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancelled = true;
      } catch (ExecutionException e) {
        cancelled = true;
      }
      ResponseBody body = response.body();
      try {
        if (!cancelled && body != null) {
          BufferedSource source = body.source();
          String line;
          while (!cancelled && (line = source.readUtf8Line()) != null) {
            if (!line.isBlank()) {
              events.event(event(line));
            }
          }
        }
        done.complete(null);
      } catch (IOException | RuntimeException e) {
        if (cancelled) {
          done.complete(null);
        } else {
          done.completeExceptionally(calls.errors.transport("watch", e));
        }
      }
    }
  }
}
