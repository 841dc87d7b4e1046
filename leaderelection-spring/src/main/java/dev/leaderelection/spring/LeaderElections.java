package dev.leaderelection.spring;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.springframework.context.SmartLifecycle;

/**
 * All elections this application takes part in, configured by {@link LeaderElectionProperties}.
 *
 * <p><b>Lifecycle.</b> The auto-configured bean is a {@link SmartLifecycle} in phase {@link
 * #PHASE}. It starts the elections once every singleton exists and after the embedded web server
 * has started (phase {@code DEFAULT_PHASE - 2048}). On shutdown it stops after the lifecycle beans
 * of the default phase (message listener containers and the like, which may be leader work) and
 * <em>before</em> graceful shutdown of the web server ({@code DEFAULT_PHASE - 1024}) begins, so the
 * Lease is released, and another instance leads, while this one still drains its requests. For each
 * election, stopping ends the term, publishes {@link LeaderRevokedEvent} (its handlers run to
 * completion), waits for running {@link LeaderOnly} tasks, and only then releases the Lease (if
 * {@code release-on-shutdown}). If leader work does not return within {@code renew-deadline}, the
 * Lease is not released: the next leader then waits {@code lease-duration} instead of overlapping
 * work that still runs.
 */
public interface LeaderElections {

  /**
   * The lifecycle phase: {@code SmartLifecycle.DEFAULT_PHASE - 1000}, as Spring Integration's
   * leader initiators, above graceful shutdown ({@code DEFAULT_PHASE - 1024}).
   */
  int PHASE = SmartLifecycle.DEFAULT_PHASE - 1000;

  /**
   * The election named {@code name}.
   *
   * @param name {@code default} or a key under {@code leaderelection.elections}
   * @return the election
   * @throws NoSuchElementException naming the elections that exist, if there is none by that name
   */
  default LeaderElection get(String name) {
    List<LeaderElection> all = all();
    for (LeaderElection e : all) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    throw new NoSuchElementException(
        "No leader election named '"
            + name
            + "'; the elections are "
            + all.stream().map(LeaderElection::name).toList()
            + " (configure others under leaderelection.elections.<name>)");
  }

  /** {@return every election, in the order configured} */
  List<LeaderElection> all();

  /**
   * The election that {@link LeaderOnly} without a name, and the {@link LeaderElection} bean, refer
   * to: the one named {@code default}, else the only one.
   *
   * @return the primary election; empty if there are several and none is named {@code default}
   */
  default Optional<LeaderElection> primary() {
    List<LeaderElection> all = all();
    for (LeaderElection e : all) {
      if (e.name().equals(LeaderElectionProperties.DEFAULT_ELECTION)) {
        return Optional.of(e);
      }
    }
    return all.size() == 1 ? Optional.of(all.get(0)) : Optional.empty();
  }
}
