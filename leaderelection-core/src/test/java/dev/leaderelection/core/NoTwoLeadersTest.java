package dev.leaderelection.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many electors on one in-memory Lease under random delays, lost responses, failures and process
 * freezes, each schedule drawn from a seed: from the validity windows each elector reports, no two
 * leaders are ever valid at the same instant. Deterministic: one manual clock drives everything, so
 * a failing seed replays exactly.
 */
class NoTwoLeadersTest {
  private static final Duration RUN = Duration.ofMinutes(20);

  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 60).mapToObj(i -> (long) i * 7919);
  }

  record Window(String identity, long from, long until) {}

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void noTwoLeadersAreEverValidAtTheSameInstant(long seed) {
    Random rnd = new Random(seed);
    ManualScheduler clock = new ManualScheduler();
    InMemoryLease lease = new InMemoryLease("chaos");
    LeaderElectionConfig config =
        rnd.nextBoolean()
            ? LeaderElectionConfig.defaults()
            : LeaderElectionConfig.builder()
                .leaseDuration(Duration.ofSeconds(4))
                .renewDeadline(Duration.ofSeconds(3))
                .retryPeriod(Duration.ofSeconds(1))
                .build();
    int n = 2 + rnd.nextInt(6);
    List<Window> windows = new ArrayList<>();
    List<LeaderElector> electors = new ArrayList<>();
    List<Recorder> recorders = new ArrayList<>();
    List<FreezableScheduler> processes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "e" + i;
      Random own = new Random(rnd.nextLong());
      FreezableScheduler process = new FreezableScheduler(clock);
      Recorder recorder = new Recorder();
      LeaderElector e =
          LeaderElector.builder(new ChaosLock(lease.lock(id), clock, own, rnd.nextBoolean()))
              .config(config)
              .callbacks(recorder)
              .listener(recorder.listener)
              .listener(
                  new LeaderElectionListener() {
                    @Override
                    public void onLeadershipEnded(
                        Leadership leadership, Leadership.EndReason reason) {
                      windows.add(
                          new Window(
                              id, leadership.validFromNanos(), leadership.validUntilNanos()));
                    }
                  })
              .scheduler(process)
              .timeSource(clock)
              .callbackExecutor(process)
              .random(own::nextDouble)
              .build();
      electors.add(e);
      recorders.add(recorder);
      processes.add(process);
      e.start();
    }
    // Freeze random processes now and then, some longer than the lease duration.
    long end = RUN.toNanos();
    for (int k = 0; k < 6; k++) {
      FreezableScheduler p = processes.get(rnd.nextInt(n));
      long at = (long) (rnd.nextDouble() * end);
      long length = (long) (rnd.nextDouble() * 2.5 * config.leaseDuration().toNanos());
      clock.schedule(() -> p.freezeFor(length), Duration.ofNanos(at));
    }
    clock.advance(RUN);
    electors.forEach(LeaderElector::closeAsync);
    clock.advance(Duration.ofMinutes(2));

    assertThat(windows).as("someone led at some point").isNotEmpty();
    List<Window> sorted = new ArrayList<>(windows);
    sorted.sort(Comparator.comparingLong(Window::from));
    Window latest = null;
    for (Window w : sorted) {
      if (latest != null) {
        assertThat(w.from())
            .as("seed %d: %s began while %s was still valid", seed, w, latest)
            .isGreaterThanOrEqualTo(latest.until());
      }
      if (latest == null || w.until() > latest.until()) {
        latest = w;
      }
    }
    for (Recorder r : recorders) {
      List<String> events = r.startsAndStops();
      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i)).startsWith(i % 2 == 0 ? "start:" : "stop:");
      }
      assertThat(events.size() % 2).as("every start has its stop").isZero();
    }
  }

  /** A process's view of the scheduler: while frozen, none of its tasks run. */
  static final class FreezableScheduler implements Scheduler, java.util.concurrent.Executor {
    private final ManualScheduler clock;
    private long frozenUntil = Long.MIN_VALUE;

    FreezableScheduler(ManualScheduler clock) {
      this.clock = clock;
    }

    void freezeFor(long nanos) {
      frozenUntil = clock.nanoTime() + nanos;
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      boolean[] cancelled = {false};
      Runnable[] run = new Runnable[1];
      run[0] =
          () -> {
            if (cancelled[0]) {
              return;
            }
            long now = clock.nanoTime();
            if (now < frozenUntil) {
              clock.schedule(run[0], Duration.ofNanos(frozenUntil - now));
              return;
            }
            task.run();
          };
      clock.schedule(run[0], delay);
      return () -> cancelled[0] = true;
    }

    @Override
    public void execute(Runnable command) {
      schedule(command, Duration.ZERO);
    }
  }

  /**
   * Delays each call's effect and its response independently, loses some responses after the effect
   * happened, and fails some calls before they reach the Lease.
   */
  static final class ChaosLock implements LeaseLock {
    private final LeaseLock delegate;
    private final ManualScheduler clock;
    private final Random rnd;
    private final boolean watchable;

    ChaosLock(LeaseLock delegate, ManualScheduler clock, Random rnd, boolean watchable) {
      this.delegate = delegate;
      this.clock = clock;
      this.rnd = rnd;
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

    @Override
    public CompletionStage<Optional<LeaseRecord>> get(Duration timeout) {
      return chaos(() -> delegate.get(timeout));
    }

    @Override
    public CompletionStage<LeaseRecord> create(LeaseRecord record, Duration timeout) {
      return chaos(() -> delegate.create(record, timeout));
    }

    @Override
    public CompletionStage<LeaseRecord> update(LeaseRecord record, Duration timeout) {
      return chaos(() -> delegate.update(record, timeout));
    }

    @Override
    public @Nullable Watch watch(ChangeListener listener, Scheduler scheduler) {
      if (!watchable) {
        return null;
      }
      // watch events are delayed too, and may arrive out of step with reads
      return delegate.watch(
          r -> clock.schedule(() -> listener.leaseChanged(r), delay(1500)), scheduler);
    }

    private Duration delay(int maxMillis) {
      int heavy = rnd.nextInt(100) < 5 ? 12_000 : maxMillis;
      return Duration.ofMillis(rnd.nextInt(heavy + 1));
    }

    private <T> CompletionStage<T> chaos(Supplier<CompletionStage<T>> action) {
      CompletableFuture<T> result = new CompletableFuture<>();
      int dice = rnd.nextInt(100);
      if (dice < 8) {
        clock.schedule(
            () ->
                result.completeExceptionally(
                    new LeaseLockException(
                        LeaseLockException.Reason.UNAVAILABLE, "chaos: refused", null)),
            delay(200));
        return result;
      }
      boolean loseResponse = dice < 13;
      Duration toEffect = delay(1500);
      Duration toResponse = delay(1500);
      clock.schedule(
          () ->
              action
                  .get()
                  .whenComplete(
                      (v, e) -> {
                        if (loseResponse) {
                          return;
                        }
                        clock.schedule(
                            () -> {
                              if (e != null) {
                                result.completeExceptionally(e);
                              } else {
                                result.complete(v);
                              }
                            },
                            toResponse);
                      }),
          toEffect);
      return result;
    }
  }
}
