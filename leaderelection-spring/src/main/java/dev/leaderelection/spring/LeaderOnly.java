package dev.leaderelection.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a method only while this process leads: each call of the method runs it if this process is
 * the leader of the election at that moment, and returns at once otherwise (logged at DEBUG on
 * {@code dev.leaderelection.spring}). Meant for {@code @Scheduled} methods, like ShedLock's
 * {@code @SchedulerLock} with the Lease as the lock and no database; it works the same for a method
 * run by a {@code TaskScheduler} or called directly.
 *
 * <pre>{@code
 * @Scheduled(fixedDelay = 60_000)
 * @LeaderOnly
 * void purgeExpired() { ... }
 * }</pre>
 *
 * <p>On a class, it applies to every {@code @Scheduled} method declared in that class.
 *
 * <p><b>How.</b> An interceptor on the method, through a proxy of its bean (as for {@code @Async}
 * or {@code @Transactional}): calls through the bean are guarded, whoever makes them
 * ({@code @Scheduled} with a fixed delay, a fixed rate or a cron, a {@code TaskScheduler}, another
 * bean); a call from inside the bean's own class ({@code this.purgeExpired()}) is not. The method
 * must be {@code void}, and neither private, static nor final, in a class that is not final;
 * otherwise the start-up fails, since the method would run on every instance or have nothing to
 * return when skipped. The interceptor runs on the caller's thread (for {@code @Scheduled}: the
 * scheduler's).
 *
 * <p><b>What it guarantees.</b> A run starts only while this process leads. A run already going
 * when leadership ends is not interrupted: it should check {@link LeaderElection#isLeader()} before
 * each step that must not be done twice, or fence its writes with the term's token. When this
 * process stops leading, the next term of this process, and the release of the Lease on shutdown or
 * yield, wait for running {@code @LeaderOnly} methods to return (at most {@code renew-deadline} on
 * shutdown, after which the Lease is left to expire instead of being released).
 *
 * <p><b>What it does not.</b> It does not keep another process from running the method once this
 * one's term ended; it does not run a skipped call later; with {@code leaderelection.enabled=false}
 * every call is skipped.
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
