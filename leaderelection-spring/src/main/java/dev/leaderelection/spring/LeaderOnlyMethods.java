package dev.leaderelection.spring;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.scheduling.annotation.Schedules;
import org.springframework.scheduling.support.ScheduledMethodRunnable;

/**
 * Finds the {@code @Scheduled} methods marked {@link LeaderOnly} on every bean, and recognises the
 * scheduled tasks that run them.
 *
 * <p>A task handed to the scheduler is not the {@link ScheduledMethodRunnable} itself but a wrapper
 * that Spring keeps private; both answer {@code toString()} with the method's declaring class and
 * name ({@code com.example.Jobs.purge}), which is unique for the no-argument methods that
 * {@code @Scheduled} allows. That is the key used here. {@link LeaderOnlySchedulingConfigurer}
 * checks at start-up that every method found here was recognised among the scheduled tasks, so a
 * change in Spring fails the start-up rather than run leader-only methods everywhere.
 */
final class LeaderOnlyMethods implements BeanPostProcessor {
  private static final Logger log = LoggerFactory.getLogger(LeaderOnlyMethods.class);

  /** One {@code @LeaderOnly @Scheduled} method. */
  record Binding(String key, String election, Method method) {
    String describe() {
      return method.getDeclaringClass().getSimpleName() + "." + method.getName() + "()";
    }
  }

  private final Map<String, Binding> byKey = new ConcurrentHashMap<>();
  private final Set<Class<?>> seen = ConcurrentHashMap.newKeySet();

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> type = AopProxyUtils.ultimateTargetClass(bean);
    if (!seen.add(type) || !AnnotationUtils.isCandidateClass(type, LeaderOnly.class)) {
      return bean;
    }
    Map<Method, LeaderOnly> marked =
        MethodIntrospector.selectMethods(
            type, (MethodIntrospector.MetadataLookup<LeaderOnly>) LeaderOnlyMethods::leaderOnlyOf);
    for (Map.Entry<Method, LeaderOnly> e : marked.entrySet()) {
      Method m = e.getKey();
      if (!isScheduled(m)) {
        if (AnnotatedElementUtils.hasAnnotation(m, LeaderOnly.class)) {
          log.warn(
              "@LeaderOnly on {}.{}() has no effect: it applies to @Scheduled methods only. Check"
                  + " LeaderElection.isLeader() in the method instead.",
              m.getDeclaringClass().getName(),
              m.getName());
        }
        continue;
      }
      Binding b = new Binding(key(m), e.getValue().value(), m);
      byKey.put(b.key(), b);
    }
    return bean;
  }

  private static @Nullable LeaderOnly leaderOnlyOf(Method m) {
    LeaderOnly onMethod = AnnotatedElementUtils.findMergedAnnotation(m, LeaderOnly.class);
    if (onMethod != null) {
      return onMethod;
    }
    return isScheduled(m)
        ? AnnotatedElementUtils.findMergedAnnotation(m.getDeclaringClass(), LeaderOnly.class)
        : null;
  }

  private static boolean isScheduled(Method m) {
    return AnnotatedElementUtils.hasAnnotation(m, Scheduled.class)
        || AnnotatedElementUtils.hasAnnotation(m, Schedules.class);
  }

  static String key(Method m) {
    return m.getDeclaringClass().getName() + "." + m.getName();
  }

  /** {@return every {@code @LeaderOnly @Scheduled} method found so far} */
  Collection<Binding> all() {
    return List.copyOf(byKey.values());
  }

  /**
   * The {@code @LeaderOnly} method a scheduled task runs, if any.
   *
   * @param task the task as handed to the scheduler
   * @return the binding, or {@code null} if the task is not leader-only
   */
  @Nullable Binding bindingOf(Runnable task) {
    if (task instanceof ScheduledMethodRunnable smr) {
      Binding known = byKey.get(key(smr.getMethod()));
      if (known != null) {
        return known;
      }
      LeaderOnly lo = leaderOnlyOf(smr.getMethod());
      return lo == null ? null : new Binding(key(smr.getMethod()), lo.value(), smr.getMethod());
    }
    return byKey.get(String.valueOf(task));
  }
}
