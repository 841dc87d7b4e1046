package dev.leaderelection.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.scheduling.annotation.Schedules;

/**
 * Makes {@link LeaderOnly} work: an interceptor on the annotated methods themselves, through a
 * proxy of their bean (Spring AOP, as {@code @Async} and {@code @Transactional} work). Every call
 * of such a method through the bean, whoever makes it ({@code @Scheduled} with a fixed delay, a
 * fixed rate or a cron, a {@code TaskScheduler}, or a direct call), runs the method only while this
 * process leads, and returns at once otherwise. Nothing depends on how Spring wraps scheduled
 * tasks.
 *
 * <p>Runs before the {@code @Scheduled} post-processor (order {@code LOWEST_PRECEDENCE - 1}), so
 * that it schedules the proxy. A method the proxy cannot intercept (private, final or static, or
 * declared in a final class) or one that returns a value stops the start-up: it would run on every
 * instance, or have nothing to return when skipped.
 */
final class LeaderOnlyMethods extends AbstractBeanFactoryAwareAdvisingPostProcessor {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(LeaderOnlyMethods.class);

  /**
   * One {@code @LeaderOnly} method.
   *
   * @param election the election's name ({@link LeaderOnly#value()})
   * @param method the method, as declared in the bean's class
   */
  record Binding(String election, Method method) {
    String describe() {
      return method.getDeclaringClass().getSimpleName() + "." + method.getName() + "()";
    }
  }

  /** The bindings found, by method. */
  private final transient Map<Method, Binding> byMethod = new ConcurrentHashMap<>();

  /** The classes already inspected. */
  private final transient Set<Class<?>> seen = ConcurrentHashMap.newKeySet();

  /** The election by {@link LeaderOnly#value()} (empty: the primary); throws if there is none. */
  private final transient Function<String, LeaderElection> elections;

  /** The elections resolved so far, by {@link LeaderOnly#value()}. */
  private final transient Map<String, LeaderElection> resolved = new ConcurrentHashMap<>();

  LeaderOnlyMethods(Function<String, LeaderElection> elections) {
    this.elections = elections;
    this.advisor = new DefaultPointcutAdvisor(new Matcher(), new Interceptor());
    setProxyTargetClass(true);
    setBeforeExistingAdvisors(true);
    setOrder(Ordered.LOWEST_PRECEDENCE - 1);
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> type = AopProxyUtils.ultimateTargetClass(bean);
    if (seen.add(type) && AnnotationUtils.isCandidateClass(type, LeaderOnly.class)) {
      discover(type);
    }
    return super.postProcessAfterInitialization(bean, beanName);
  }

  private void discover(Class<?> type) {
    Map<Method, LeaderOnly> marked =
        MethodIntrospector.selectMethods(
            type, (MethodIntrospector.MetadataLookup<LeaderOnly>) LeaderOnlyMethods::leaderOnlyOf);
    for (Map.Entry<Method, LeaderOnly> e : marked.entrySet()) {
      Method m = e.getKey();
      Binding b = new Binding(e.getValue().value(), m);
      String problem = null;
      int mod = m.getModifiers();
      if (Modifier.isFinal(type.getModifiers())) {
        problem = "its class " + type.getName() + " is final";
      } else if (Modifier.isPrivate(mod) || Modifier.isStatic(mod) || Modifier.isFinal(mod)) {
        problem =
            "it is "
                + Modifier.toString(mod & (Modifier.PRIVATE | Modifier.STATIC | Modifier.FINAL));
      } else if (m.getReturnType() != void.class) {
        problem = "it returns " + m.getReturnType().getSimpleName();
      }
      if (problem != null) {
        throw new LeaderElectionStartupException(
            "@LeaderOnly cannot guard "
                + m.getDeclaringClass().getName()
                + "."
                + m.getName()
                + "(): "
                + problem
                + ". The starter intercepts the method through a proxy of its bean, and a skipped"
                + " call has nothing to return.",
            "Make the method void and neither private, static nor final, in a class that is not"
                + " final; or remove @LeaderOnly and check LeaderElection.isLeader() in the"
                + " method.");
      }
      byMethod.put(m, b);
    }
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

  /** {@return every {@code @LeaderOnly} method found so far} */
  Collection<Binding> all() {
    return List.copyOf(byMethod.values());
  }

  /** {@return whether any {@code @LeaderOnly} method is {@code @Scheduled}} */
  List<Binding> scheduled() {
    return byMethod.values().stream().filter(b -> isScheduled(b.method())).toList();
  }

  /**
   * Checks that the election of every {@code @LeaderOnly} method exists.
   *
   * @throws LeaderElectionStartupException naming the elections that exist
   */
  void checkElections() {
    for (Binding b : byMethod.values()) {
      var unused = elections.apply(b.election());
    }
  }

  private Optional<Binding> bindingOf(Method method, Class<?> targetClass) {
    Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
    Binding b = byMethod.get(specific);
    if (b == null) {
      LeaderOnly lo = leaderOnlyOf(specific);
      if (lo != null) {
        b = byMethod.computeIfAbsent(specific, k -> new Binding(lo.value(), k));
      }
    }
    return Optional.ofNullable(b);
  }

  /** Matches the methods of a bean's class that are {@code @LeaderOnly}. */
  private final class Matcher extends StaticMethodMatcherPointcut {
    @Override
    public boolean matches(Method method, Class<?> targetClass) {
      return bindingOf(method, targetClass).isPresent();
    }
  }

  /**
   * Runs the method if this process leads when it is called, and returns at once otherwise. Counted
   * in the election's {@link LeaderWork} from before the check until it returns, so that the end of
   * the term can wait for it. Runs on the caller's thread.
   */
  private final class Interceptor implements MethodInterceptor {
    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
      Object target = invocation.getThis();
      Class<?> targetClass =
          target != null
              ? AopUtils.getTargetClass(target)
              : invocation.getMethod().getDeclaringClass();
      Binding b = bindingOf(invocation.getMethod(), targetClass).orElse(null);
      if (b == null) {
        return invocation.proceed();
      }
      LeaderElection election = resolved.computeIfAbsent(b.election(), elections);
      LeaderWork work = election instanceof ManagedLeaderElection m ? m.work() : null;
      if (work != null) {
        work.enter();
      }
      try {
        if (!election.isLeader()) {
          if (log.isDebugEnabled()) {
            log.debug(
                "Skipped @LeaderOnly {}: this process ({}) does not lead election '{}' (leader: {})",
                b.describe(),
                election.identity(),
                election.name(),
                election.currentLeader().orElse("none seen"));
          }
          return null;
        }
        return invocation.proceed();
      } finally {
        if (work != null) {
          work.exit();
        }
      }
    }
  }
}
