package dev.leaderelection.core.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.Scheduler;
import dev.leaderelection.core.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link LeaseWatchLoop} with a scripted transport and a manual clock: when it lists, watches,
 * backs off and gives up on a stream, and what it tells the listener. Deterministic: nothing runs
 * but what the test completes or the clock reaches.
 */
@SuppressWarnings("try") // each test holds its watch open in a try-with-resources it does not name
class LeaseWatchLoopTest {
  private final ManualScheduler clock = new ManualScheduler();
  private final Script transport = new Script();
  private final List<String> told = new ArrayList<>();

  private final LeaseLock.ChangeListener listener =
      new LeaseLock.ChangeListener() {
        @Override
        public void leaseChanged(@Nullable LeaseRecord current) {
          told.add(current == null ? "deleted" : "record " + current.holderIdentity());
        }

        @Override
        public void watchHealthChanged(boolean healthy) {
          told.add(healthy ? "delivering" : "not delivering");
        }
      };

  /** Requests as the loop makes them; the test answers each. */
  static final class Script implements LeaseWatchLoop.Transport {
    final List<CompletableFuture<LeaseWatchLoop.Listed>> lists = new ArrayList<>();
    final List<CompletableFuture<LeaseWatchLoop.Stream>> watches = new ArrayList<>();
    final List<String> watchedFrom = new ArrayList<>();
    final List<LeaseWatchLoop.Events> sinks = new ArrayList<>();

    @Override
    public CompletionStage<LeaseWatchLoop.Listed> list(Duration timeout, Scheduler timer) {
      CompletableFuture<LeaseWatchLoop.Listed> f = new CompletableFuture<>();
      lists.add(f);
      return f;
    }

    @Override
    public CompletionStage<LeaseWatchLoop.Stream> watch(
        String resourceVersion, long timeoutSeconds, LeaseWatchLoop.Events events) {
      CompletableFuture<LeaseWatchLoop.Stream> f = new CompletableFuture<>();
      watches.add(f);
      watchedFrom.add(resourceVersion);
      sinks.add(events);
      return f;
    }
  }

  /** A stream the test ends. */
  static final class TestStream implements LeaseWatchLoop.Stream {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    boolean started;
    boolean cancelled;

    @Override
    public void start() {
      started = true;
    }

    @Override
    public void cancel() {
      cancelled = true;
      done.complete(null);
    }

    @Override
    public CompletionStage<?> done() {
      return done;
    }
  }

  private static LeaseRecord held(String holder, String version) {
    return new LeaseRecord(holder, 15, null, null, 0, null, null, version);
  }

  private static LeaseWatchLoop.Event event(
      LeaseWatchLoop.Type type, String rv, @Nullable LeaseRecord record) {
    return new LeaseWatchLoop.Event(type, rv, record, null);
  }

  private LeaseWatchLoop start() {
    return LeaseWatchLoop.start("lease ns/l", transport, listener, clock);
  }

  /** Lists (with the Lease held by {@code a}) and opens the stream; returns it. */
  private TestStream listAndOpen() {
    transport
        .lists
        .get(transport.lists.size() - 1)
        .complete(new LeaseWatchLoop.Listed(held("a", "5"), "5"));
    TestStream s = new TestStream();
    transport.watches.get(transport.watches.size() - 1).complete(s);
    return s;
  }

  @Test
  void listsThenWatchesFromTheListsVersionAndDeliversTheRecordBeforeSayingItDelivers() {
    try (LeaseWatchLoop w = start()) {
      assertThat(transport.lists).hasSize(1);
      assertThat(transport.watches).isEmpty();
      TestStream s = listAndOpen();
      assertThat(transport.watchedFrom).containsExactly("5");
      assertThat(s.started).isTrue();
      assertThat(told).containsExactly("record a", "delivering");
    }
  }

  @Test
  void pushesChangesOnceEachAndDeletionsAsNull() {
    try (LeaseWatchLoop w = start()) {
      listAndOpen();
      LeaseWatchLoop.Events sink = transport.sinks.get(0);
      sink.event(event(LeaseWatchLoop.Type.MODIFIED, "6", held("b", "6")));
      sink.event(event(LeaseWatchLoop.Type.MODIFIED, "6", held("b", "6"))); // repeated
      sink.event(event(LeaseWatchLoop.Type.BOOKMARK, "7", null));
      sink.event(event(LeaseWatchLoop.Type.DELETED, "8", null));
      sink.event(new LeaseWatchLoop.Event(LeaseWatchLoop.Type.UNREADABLE, null, null, null));
      assertThat(told).containsExactly("record a", "delivering", "record b", "deleted");
    }
  }

  @Test
  void afterTheStreamEndsItWatchesOnFromTheLastVersionSeen() {
    try (LeaseWatchLoop w = start()) {
      TestStream s = listAndOpen();
      transport.sinks.get(0).event(event(LeaseWatchLoop.Type.BOOKMARK, "9", null));
      s.done.complete(null);
      assertThat(transport.watchedFrom).containsExactly("5", "9");
      assertThat(transport.lists).as("no list for a normal end").hasSize(1);
    }
  }

  @Test
  void goneListsAgainAtOnceAndAnErrorEventWith410ListsBeforeTheNextWatch() {
    try (LeaseWatchLoop w = start()) {
      transport.lists.get(0).complete(new LeaseWatchLoop.Listed(null, "5"));
      transport.watches.get(0).completeExceptionally(LeaseWatchLoop.gone());
      assertThat(transport.lists).hasSize(2);

      TestStream s = listAndOpen();
      transport
          .sinks
          .get(1)
          .event(new LeaseWatchLoop.Event(LeaseWatchLoop.Type.ERROR, null, null, 410));
      assertThat(s.cancelled).isTrue();
      assertThat(transport.lists).as("the ERROR 410 makes the next round list").hasSize(3);
    }
  }

  @Test
  void aFailedStreamReportsNotDeliveringAndIsRetriedOnlyAfterTheBackOff() {
    try (LeaseWatchLoop w = start()) {
      TestStream s = listAndOpen();
      s.done.completeExceptionally(new LeaseLockException(Reason.UNAVAILABLE, "reset", null));
      assertThat(told).containsExactly("record a", "delivering", "not delivering");
      clock.advance(Duration.ofMillis(199));
      assertThat(transport.watches).as("not before the back-off (0.2-0.4 s)").hasSize(1);
      clock.advance(Duration.ofMillis(201));
      assertThat(transport.watches).hasSize(2);
      assertThat(transport.watchedFrom).containsExactly("5", "5");
      assertThat(transport.lists).as("a failed stream watches on, it does not list").hasSize(1);
    }
  }

  @Test
  void aFailedListIsRetriedAfterTheBackOff() {
    try (LeaseWatchLoop w = start()) {
      transport
          .lists
          .get(0)
          .completeExceptionally(new LeaseLockException(Reason.UNAVAILABLE, "down", null));
      assertThat(told).as("it never said it delivers").isEmpty();
      clock.advance(Duration.ofMillis(199));
      assertThat(transport.lists).hasSize(1);
      clock.advance(Duration.ofMillis(201));
      assertThat(transport.lists).hasSize(2);
    }
  }

  @Test
  void aForbiddenWatchBacksOffThirtySecondsAndListsAgain() {
    try (LeaseWatchLoop w = start()) {
      transport.lists.get(0).complete(new LeaseWatchLoop.Listed(null, "5"));
      transport
          .watches
          .get(0)
          .completeExceptionally(new LeaseLockException(Reason.FORBIDDEN, "no watch", null));
      clock.advance(Duration.ofSeconds(14));
      assertThat(transport.lists).hasSize(1);
      clock.advance(Duration.ofSeconds(17));
      assertThat(transport.lists).hasSize(2);
    }
  }

  @Test
  void aSilentStreamIsDroppedWhenItOutlivesTheServersDeadline() {
    try (LeaseWatchLoop w = start()) {
      TestStream s = listAndOpen();
      transport.sinks.get(0).event(event(LeaseWatchLoop.Type.BOOKMARK, "6", null));
      // the server is asked to end it after 240-360 s; the loop waits 30 s more
      clock.advance(Duration.ofSeconds(269));
      assertThat(s.cancelled).as("the server may still end it").isFalse();
      clock.advance(Duration.ofSeconds(121));
      assertThat(s.cancelled).as("4-6 min plus the margin passed").isTrue();
      assertThat(transport.watchedFrom).containsExactly("5", "6");
    }
  }

  @Test
  void closeCancelsTheStreamAndNothingRunsAfterIt() {
    LeaseWatchLoop w = start();
    TestStream s = listAndOpen();
    w.close();
    w.close(); // idempotent
    assertThat(s.cancelled).isTrue();
    transport.sinks.get(0).event(event(LeaseWatchLoop.Type.MODIFIED, "7", held("c", "7")));
    clock.advance(Duration.ofMinutes(10));
    assertThat(told).containsExactly("record a", "delivering");
    assertThat(transport.watches).hasSize(1);
  }
}
