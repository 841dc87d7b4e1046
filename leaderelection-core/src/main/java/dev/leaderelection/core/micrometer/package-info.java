/**
 * Micrometer binding: {@link dev.leaderelection.core.micrometer.LeaderElectionMetrics}. Needs
 * {@code io.micrometer:micrometer-core} on the class path (an optional dependency of the core).
 */
@NullMarked
package dev.leaderelection.core.micrometer;

import org.jspecify.annotations.NullMarked;
