/**
 * The {@link dev.leaderelection.core.LeaseLock} backend for Kubernetes: a {@code
 * coordination.k8s.io/v1} Lease read and written through the fabric8 kubernetes-client.
 *
 * <p>Start with {@link dev.leaderelection.fabric8.KubernetesLeaseLock#builder}. The application
 * brings the fabric8 client and its HTTP client implementation (for example {@code
 * kubernetes-httpclient-vertx}); this module depends only on {@code kubernetes-client-api}.
 */
@NullMarked
package dev.leaderelection.fabric8;

import org.jspecify.annotations.NullMarked;
