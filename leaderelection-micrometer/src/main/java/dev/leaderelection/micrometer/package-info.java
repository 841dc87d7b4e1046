/**
 * Micrometer binding: {@link dev.leaderelection.micrometer.LeaderElectionMetrics}, the meters of
 * one election as a {@link dev.leaderelection.core.LeaderElectionListener} and a Micrometer {@code
 * MeterBinder}. This module ({@code leaderelection-micrometer}) brings {@code
 * io.micrometer:micrometer-core}; the core depends on neither.
 */
@NullMarked
package dev.leaderelection.micrometer;

import org.jspecify.annotations.NullMarked;
