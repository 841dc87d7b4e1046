/**
 * Benchmarks and the chaos safety suite: this library against fabric8's and the official Java
 * client's leader electors, on a real local control plane. Not published; see {@code
 * benchmarks/run.sh}.
 */
@NullMarked
package dev.leaderelection.benchmarks;

import org.jspecify.annotations.NullMarked;
