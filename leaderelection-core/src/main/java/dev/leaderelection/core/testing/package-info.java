/**
 * Test support for code that uses leader election: an in-memory Lease ({@link
 * dev.leaderelection.core.testing.InMemoryLease}) and a manual clock and scheduler ({@link
 * dev.leaderelection.core.testing.ManualScheduler}) that make elections deterministic.
 */
@NullMarked
package dev.leaderelection.core.testing;

import org.jspecify.annotations.NullMarked;
