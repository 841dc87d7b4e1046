/**
 * Test support for code that uses leader election: a manual clock and scheduler ({@link
 * dev.leaderelection.core.testing.ManualScheduler}) that make elections deterministic. Combine it
 * with an {@link dev.leaderelection.core.InMemoryLease} for elections without a cluster.
 */
@NullMarked
package dev.leaderelection.core.testing;

import org.jspecify.annotations.NullMarked;
