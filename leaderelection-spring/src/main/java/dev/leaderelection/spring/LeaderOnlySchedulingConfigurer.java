package dev.leaderelection.spring;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.scheduling.annotation.Schedules;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.scheduling.config.Task;

/**
 * Wraps the scheduler of {@code @Scheduled} tasks in a {@link LeaderOnlyTaskScheduler}. Runs last
 * among the {@link SchedulingConfigurer}s, so it wraps whatever scheduler the others chose, and
 * checks that every {@link LeaderOnly} method found on a bean is among the tasks it recognises and
 * that its election exists.
 */
final class LeaderOnlySchedulingConfigurer implements SchedulingConfigurer, Ordered {
  private final LeaderOnlyMethods methods;
  private final Function<String, LeaderElection> elections;

  LeaderOnlySchedulingConfigurer(
      LeaderOnlyMethods methods, Function<String, LeaderElection> elections) {
    this.methods = methods;
    this.elections = elections;
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }

  @Override
  public void configureTasks(ScheduledTaskRegistrar registrar) {
    if (methods.all().isEmpty()) {
      return;
    }
    TaskScheduler scheduler = registrar.getScheduler();
    if (scheduler == null) {
      throw new LeaderElectionStartupException(
          "@LeaderOnly methods exist but the @Scheduled tasks have no scheduler to wrap.",
          "Let Spring Boot configure the task scheduler, or set one with"
              + " ScheduledTaskRegistrar.setTaskScheduler in a SchedulingConfigurer.");
    }
    if (!(scheduler instanceof LeaderOnlyTaskScheduler)) {
      registrar.setTaskScheduler(new LeaderOnlyTaskScheduler(scheduler, methods, elections));
    }
    verify(registrar);
  }

  private void verify(ScheduledTaskRegistrar registrar) {
    List<Task> tasks = new ArrayList<>();
    tasks.addAll(registrar.getTriggerTaskList());
    tasks.addAll(registrar.getCronTaskList());
    tasks.addAll(registrar.getFixedRateTaskList());
    tasks.addAll(registrar.getFixedDelayTaskList());
    Set<String> recognised = new HashSet<>();
    for (Task t : tasks) {
      LeaderOnlyMethods.Binding b = methods.bindingOf(t.getRunnable());
      if (b != null) {
        recognised.add(b.key());
      }
    }
    List<String> missing = new ArrayList<>();
    for (LeaderOnlyMethods.Binding b : methods.all()) {
      var unused = elections.apply(b.election()); // fails with the names that exist
      if (!recognised.contains(b.key()) && !mayBeUnregistered(b.method())) {
        missing.add(b.describe());
      }
    }
    if (!missing.isEmpty()) {
      throw new LeaderElectionStartupException(
          "@LeaderOnly could not be attached to the scheduled task of "
              + String.join(", ", missing)
              + "; the method would run on every instance.",
          "Report this with your Spring Framework version. Until then, check"
              + " LeaderElection.isLeader() at the start of the method instead of @LeaderOnly.");
    }
  }

  /**
   * Whether the registrar may rightly hold no task for {@code m}: a cron that is disabled ({@code
   * "-"}) or a placeholder that may resolve to that, or a one-time task (the registrar lists those
   * nowhere).
   */
  private static boolean mayBeUnregistered(Method m) {
    for (Scheduled s :
        AnnotatedElementUtils.getMergedRepeatableAnnotations(m, Scheduled.class, Schedules.class)) {
      String cron = s.cron();
      if (!cron.isEmpty()) {
        if (cron.equals(ScheduledTaskRegistrar.CRON_DISABLED) || cron.contains("${")) {
          return true;
        }
        continue;
      }
      boolean repeating =
          s.fixedDelay() >= 0
              || !s.fixedDelayString().isEmpty()
              || s.fixedRate() >= 0
              || !s.fixedRateString().isEmpty();
      if (!repeating) {
        return true;
      }
    }
    return false;
  }
}
