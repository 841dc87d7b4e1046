package dev.leaderelection.spring;

import dev.leaderelection.core.Leadership;
import java.time.Duration;
import java.util.Optional;

/**
 * One election this application takes part in: ask whether this process leads, who does, and give
 * leadership up. The bean of this type is the election named {@code default}, or the only one; get
 * the others from {@link LeaderElections}.
 *
 * <p>{@link #isLeader()} answers from the monotonic clock: it turns false at the instant the
 * current term ends (at the latest {@code renew-deadline} after the start of the last successful
 * renewal), even before any event about it is published. Leader work that writes to shared
 * resources should check it again before each write, or fence the writes with {@link
 * Leadership#fencingToken()}.
 *
 * <p>Thread-safe.
 */
public interface LeaderElection {

  /**
   * {@return the election's name: {@code default}, or its key under {@code
   * leaderelection.elections}}
   */
  String name();

  /** {@return the name of the Lease competed for} */
  String leaseName();

  /**
   * {@return the Lease's namespace; empty when the lease is not a Kubernetes Lease (local mode)}
   */
  Optional<String> namespace();

  /** {@return the identity this process writes into the Lease as holder} */
  String identity();

  /** {@return whether this process leads now} */
  boolean isLeader();

  /**
   * The holder last observed in the Lease, which may be this process; empty if none was seen yet,
   * or the Lease is released or deleted. Usually milliseconds old (the Lease is watched), at most
   * one poll period.
   *
   * @return the current leader's identity
   */
  Optional<String> currentLeader();

  /** {@return the current term, while this process leads: its fencing token and end signal} */
  Optional<Leadership> currentLeadership();

  /**
   * Waits until this process leads, at most {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the current term, or empty if the timeout passed or the election stopped
   * @throws InterruptedException if interrupted while waiting
   */
  Optional<Leadership> awaitLeadership(Duration timeout) throws InterruptedException;

  /**
   * Gives up leadership: ends the current term (a {@link LeaderRevokedEvent} follows), then, once
   * the revoke handlers and running {@link LeaderOnly} tasks have returned, releases the Lease so
   * that another instance takes over at once. This process does not compete again for one {@code
   * lease-duration}. Does nothing if this process does not lead.
   *
   * @return whether this process was leading
   */
  boolean yieldLeadership();
}
