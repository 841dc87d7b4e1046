/**
 * The singleton worker on the official Kubernetes Java client: one of several replicas does the
 * work, fenced with the fencing token; the others stand by. No fabric8. Run {@link
 * dev.leaderelection.examples.clientjava.ClientJavaWorker#main}.
 */
@NullMarked
package dev.leaderelection.examples.clientjava;

import org.jspecify.annotations.NullMarked;
