package dev.leaderelection.core;

import dev.leaderelection.core.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Wraps a lock, records every call with the time it was made and the timeout it got, and lets a
 * test script what the next calls do: pass, hang forever, or fail.
 */
final class ScriptedLock implements LeaseLock {
  enum Outcome {
    PASS,
    HANG,
    FAIL
  }

  record Call(String operation, long atNanos, Duration timeout) {}

  private final LeaseLock delegate;
  private final ManualScheduler clock;
  private final boolean watchable;
  final List<Call> calls = new ArrayList<>();
  final Deque<Outcome> script = new ArrayDeque<>();
  Outcome always = Outcome.PASS;

  /** When set, reads pass and only writes follow the script. */
  boolean scriptWritesOnly;

  /** Runs before each write reaches the delegate, to let a test interleave another writer. */
  Runnable beforeWrite = () -> {};

  final List<CompletableFuture<?>> hanging = new ArrayList<>();
  @Nullable ChangeListener watcher;

  /** When set, the watch silently drops events (a watch that looks healthy but misses changes). */
  volatile boolean muted;

  ScriptedLock(LeaseLock delegate, ManualScheduler clock, boolean watchable) {
    this.delegate = delegate;
    this.clock = clock;
    this.watchable = watchable;
  }

  @Override
  public String identity() {
    return delegate.identity();
  }

  @Override
  public String description() {
    return delegate.description();
  }

  /** Applied to every record a read returns, e.g. to give it a {@code writtenAgo}. */
  java.util.function.UnaryOperator<LeaseRecord> onRead = r -> r;

  @Override
  public CompletionStage<Optional<LeaseRecord>> get(Duration timeout) {
    return run("get", timeout, () -> delegate.get(timeout)).thenApply(found -> found.map(onRead));
  }

  @Override
  public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
    return run("create", timeout, () -> delegate.create(record, timeout));
  }

  @Override
  public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
    return run("update", timeout, () -> delegate.update(record, timeout));
  }

  /** How many watches were opened, and how many of them are still open. */
  int watchesOpened;

  int watchesOpen;

  @Override
  public @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
    watcher = listener;
    if (!watchable) {
      return null;
    }
    watchesOpened++;
    watchesOpen++;
    Watch inner = watchOf(listener, scheduler);
    java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        watchesOpen--;
        if (inner != null) {
          inner.close();
        }
      }
    };
  }

  private @Nullable Watch watchOf(ChangeListener listener, Scheduler scheduler) {
    return delegate.watch(
        new ChangeListener() {
          @Override
          public void leaseChanged(@Nullable LeaseRecord current) {
            if (!muted) {
              listener.leaseChanged(current);
            }
          }

          @Override
          public void watchHealthChanged(boolean healthy) {
            listener.watchHealthChanged(healthy);
          }
        },
        scheduler);
  }

  private <T> CompletionStage<T> run(
      String op, Duration timeout, Supplier<CompletionStage<T>> action) {
    calls.add(new Call(op, clock.nanoTime(), timeout));
    if (scriptWritesOnly && op.equals("get")) {
      return action.get();
    }
    if (!op.equals("get")) {
      beforeWrite.run();
    }
    Outcome o = script.isEmpty() ? always : script.poll();
    switch (o) {
      case HANG -> {
        CompletableFuture<T> f = new CompletableFuture<>();
        hanging.add(f);
        return f;
      }
      case FAIL -> {
        return CompletableFuture.failedFuture(
            new LeaseLockException(
                LeaseLockException.Reason.UNAVAILABLE, "scripted failure", null));
      }
      default -> {
        return action.get();
      }
    }
  }

  List<String> operations() {
    return calls.stream().map(Call::operation).toList();
  }

  long count(String op) {
    return calls.stream().filter(c -> c.operation().equals(op)).count();
  }

  void clear() {
    calls.clear();
  }
}
