/**
 * A singleton worker: one of several replicas does the work, fenced with the fencing token; the
 * others stand by. Run {@link dev.leaderelection.examples.worker.SingletonWorker#main}.
 */
@NullMarked
package dev.leaderelection.examples.worker;

import org.jspecify.annotations.NullMarked;
