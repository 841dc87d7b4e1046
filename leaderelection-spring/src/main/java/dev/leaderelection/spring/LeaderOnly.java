package dev.leaderelection.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a {@code @Scheduled} method only while this process leads: at each scheduled time, the
 * method runs if this process is the leader of the election, and is skipped otherwise (logged at
 * DEBUG on {@code dev.leaderelection.spring}). Like ShedLock's {@code @SchedulerLock}, with the
 * Lease as the lock and no database.
 *
 * <pre>{@code
 * @Scheduled(fixedDelay = 60_000)
 * @LeaderOnly
 * void purgeExpired() { ... }
 * }</pre>
 *
 * <p>On a class, it applies to every {@code @Scheduled} method declared in that class. No proxy is
 * made: the scheduled task itself is wrapped (a {@code SchedulingConfigurer}), so a direct call of
 * the method is not affected, and the bean's class may be final.
 *
 * <p><b>What it guarantees.</b> A run starts only while this process leads. A run already going
 * when leadership ends is not interrupted: it should check {@link LeaderElection#isLeader()} before
 * each step that must not be done twice, or fence its writes with the term's token. When this
 * process stops leading, the next term of this process, and the release of the Lease on shutdown or
 * yield, wait for running {@code @LeaderOnly} tasks to return (at most {@code renew-deadline} on
 * shutdown, after which the Lease is left to expire instead of being released).
 *
 * <p>If the annotation cannot be attached to a scheduled method, start-up fails rather than run the
 * method on every instance.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LeaderOnly {

  /**
   * The election: a key under {@code leaderelection.elections}, or empty for the {@linkplain
   * LeaderElections#primary() primary} one.
   *
   * @return the election's name
   */
  String value() default "";
}
