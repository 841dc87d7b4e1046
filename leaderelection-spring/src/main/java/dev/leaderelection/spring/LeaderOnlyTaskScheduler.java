package dev.leaderelection.spring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.SchedulingAwareRunnable;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.Trigger;

/**
 * The scheduler of {@code @Scheduled} tasks, wrapped: tasks of {@link LeaderOnly} methods are
 * replaced by a task that runs the method only while this process leads. Everything else is passed
 * through unchanged.
 */
final class LeaderOnlyTaskScheduler implements TaskScheduler {
  private static final Logger log = LoggerFactory.getLogger(LeaderOnlyTaskScheduler.class);

  private final TaskScheduler delegate;
  private final LeaderOnlyMethods methods;
  private final Function<String, LeaderElection> elections;

  /**
   * @param delegate the scheduler the tasks really run on
   * @param methods recognises leader-only tasks
   * @param elections the election by {@link LeaderOnly#value()} (empty: the primary); throws if
   *     there is none
   */
  LeaderOnlyTaskScheduler(
      TaskScheduler delegate,
      LeaderOnlyMethods methods,
      Function<String, LeaderElection> elections) {
    this.delegate = delegate;
    this.methods = methods;
    this.elections = elections;
  }

  Runnable decorate(Runnable task) {
    LeaderOnlyMethods.Binding b = methods.bindingOf(task);
    if (b == null) {
      return task;
    }
    LeaderElection election = elections.apply(b.election());
    return new LeaderOnlyRunnable(task, b, election);
  }

  @Override
  public Clock getClock() {
    return delegate.getClock();
  }

  @Override
  public @Nullable ScheduledFuture<?> schedule(Runnable task, Trigger trigger) {
    return delegate.schedule(decorate(task), trigger);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable task, Instant startTime) {
    return delegate.schedule(decorate(task), startTime);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Instant startTime, Duration period) {
    return delegate.scheduleAtFixedRate(decorate(task), startTime, period);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Duration period) {
    return delegate.scheduleAtFixedRate(decorate(task), period);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable task, Instant startTime, Duration delay) {
    return delegate.scheduleWithFixedDelay(decorate(task), startTime, delay);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, Duration delay) {
    return delegate.scheduleWithFixedDelay(decorate(task), delay);
  }

  @Override
  public String toString() {
    return "LeaderOnlyTaskScheduler[" + delegate + "]";
  }

  /**
   * Runs the task if this process leads when it is due. Counted in the election's {@link
   * LeaderWork} from before the check until it returns, so that the end of the term can wait for
   * it.
   */
  static final class LeaderOnlyRunnable implements SchedulingAwareRunnable {
    private final Runnable task;
    private final LeaderOnlyMethods.Binding binding;
    private final LeaderElection election;

    LeaderOnlyRunnable(Runnable task, LeaderOnlyMethods.Binding binding, LeaderElection election) {
      this.task = task;
      this.binding = binding;
      this.election = election;
    }

    @Override
    public void run() {
      LeaderWork work = election instanceof ManagedLeaderElection m ? m.work() : null;
      if (work != null) {
        work.enter();
      }
      try {
        if (!election.isLeader()) {
          if (log.isDebugEnabled()) {
            log.debug(
                "Skipped @LeaderOnly {}: this process ({}) does not lead election '{}' (leader: {})",
                binding.describe(),
                election.identity(),
                election.name(),
                election.currentLeader().orElse("none seen"));
          }
          return;
        }
        task.run();
      } finally {
        if (work != null) {
          work.exit();
        }
      }
    }

    @Override
    public boolean isLongLived() {
      return task instanceof SchedulingAwareRunnable s && s.isLongLived();
    }

    @Override
    public @Nullable String getQualifier() {
      return task instanceof SchedulingAwareRunnable s ? s.getQualifier() : null;
    }

    @Override
    public String toString() {
      return task.toString();
    }
  }
}
