/** The demo behind {@code examples/demo.sh}: see {@link dev.leaderelection.examples.demo.Demo}. */
@NullMarked
package dev.leaderelection.examples.demo;

import org.jspecify.annotations.NullMarked;
