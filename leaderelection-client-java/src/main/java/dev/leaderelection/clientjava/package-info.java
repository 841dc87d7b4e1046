/**
 * The {@link dev.leaderelection.core.LeaseLock} backend for Kubernetes over the official Kubernetes
 * Java client: a {@code coordination.k8s.io/v1} Lease read and written through an {@code
 * io.kubernetes.client.openapi.ApiClient}.
 *
 * <p>Start with {@link dev.leaderelection.clientjava.ClientJavaLeaseLock#builder}. The application
 * brings {@code io.kubernetes:client-java} (25 or later); this module needs nothing else and no
 * fabric8.
 */
@NullMarked
package dev.leaderelection.clientjava;

import org.jspecify.annotations.NullMarked;
