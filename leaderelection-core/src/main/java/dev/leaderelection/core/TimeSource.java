package dev.leaderelection.core;

import java.time.Instant;

/**
 * The election's two clocks: a monotonic one that judges every deadline, and a wall clock that is
 * only written into the Lease ({@code acquireTime}, {@code renewTime}) for humans and other tools.
 *
 * <p>Inject a manual one ({@link dev.leaderelection.core.testing.ManualScheduler}) for
 * deterministic tests.
 */
public interface TimeSource {

  /**
   * Monotonic time in nanoseconds, as {@link System#nanoTime()}: only differences are meaningful.
   *
   * @return monotonic nanoseconds
   */
  long nanoTime();

  /**
   * {@return wall-clock time, written into the Lease but never compared with another process's
   * clock}
   */
  Instant now();

  /** {@return the system clocks: {@link System#nanoTime()} and {@link Instant#now()}} */
  static TimeSource system() {
    return SystemTimeSource.INSTANCE;
  }
}

/** The system clocks. */
enum SystemTimeSource implements TimeSource {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Instant now() {
    return Instant.now();
  }
}
