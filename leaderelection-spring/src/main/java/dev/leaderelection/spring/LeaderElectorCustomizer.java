package dev.leaderelection.spring;

import dev.leaderelection.core.LeaderElector;

/**
 * Adjusts the elector of an election before it is built: add a {@link
 * dev.leaderelection.core.LeaderElectionListener}, change the configuration, the scheduler or the
 * callback executor. Every bean of this type is applied, in {@code @Order}, each time an elector is
 * built (at creation and on restart). The callbacks are set by the auto-configuration and should
 * not be replaced: they publish the events.
 */
@FunctionalInterface
public interface LeaderElectorCustomizer {

  /**
   * Customizes one elector.
   *
   * @param election the election the elector is for
   * @param builder the builder, with the lock, configuration and callbacks already set
   */
  void customize(LeaderElection election, LeaderElector.Builder builder);
}
