package dev.leaderelection.spring;

import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.scheduling.annotation.ScheduledAnnotationBeanPostProcessor;

/**
 * Checks, once every singleton exists, that the election of every {@link LeaderOnly} method exists,
 * and warns when {@link LeaderOnly} {@code @Scheduled} methods exist but scheduling is not enabled:
 * without {@code @EnableScheduling} Spring runs no {@code @Scheduled} method at all, on the leader
 * or elsewhere, and says nothing.
 */
final class LeaderOnlySchedulingCheck implements SmartInitializingSingleton {
  private static final Logger log = LoggerFactory.getLogger(LeaderOnlySchedulingCheck.class);

  private final LeaderOnlyMethods methods;
  private final ListableBeanFactory beans;

  LeaderOnlySchedulingCheck(LeaderOnlyMethods methods, ListableBeanFactory beans) {
    this.methods = methods;
    this.beans = beans;
  }

  @Override
  public void afterSingletonsInstantiated() {
    methods.checkElections();
    if (methods.scheduled().isEmpty() || schedulingEnabled()) {
      return;
    }
    log.warn(
        "@LeaderOnly @Scheduled methods {} never run, on the leader or anywhere else: scheduling"
            + " is not enabled. Add @EnableScheduling to a @Configuration class (for example the"
            + " @SpringBootApplication class).",
        methods.scheduled().stream()
            .map(LeaderOnlyMethods.Binding::describe)
            .sorted()
            .collect(Collectors.joining(", ")));
  }

  /** {@return whether {@code @EnableScheduling} (or its processor) is in the context} */
  boolean schedulingEnabled() {
    return beans.getBeanNamesForType(ScheduledAnnotationBeanPostProcessor.class, true, false).length
        > 0;
  }
}
