/**
 * What every Kubernetes Lease backend says and checks the same way: the messages of failed calls
 * ({@link dev.leaderelection.core.kubernetes.LeaseErrors}), the least-privilege RBAC rule and the
 * commands that grant it ({@link dev.leaderelection.core.kubernetes.LeaseRbac}), the rules for
 * Lease and namespace names ({@link dev.leaderelection.core.kubernetes.LeaseNames}), and the
 * interface a backend implements so that integrations (the Spring starter's RBAC self-check, its
 * health details) work with any of them ({@link
 * dev.leaderelection.core.kubernetes.KubernetesLock}); and the parts of a backend that do not
 * depend on its HTTP client: the watch's reconnect loop ({@link
 * dev.leaderelection.core.kubernetes.LeaseWatchLoop}), the builder's settings ({@link
 * dev.leaderelection.core.kubernetes.KubernetesLockBuilder}), a call's timeout ({@link
 * dev.leaderelection.core.kubernetes.CallTimeout}), the uid-first update ({@link
 * dev.leaderelection.core.kubernetes.UidFirst}) and {@code MicroTime} ({@link
 * dev.leaderelection.core.kubernetes.MicroTime}).
 *
 * <p>For backend authors and integrations; applications use the backends' builders. Plain Java: no
 * Kubernetes client is needed, and none is used.
 */
@NullMarked
package dev.leaderelection.core.kubernetes;

import org.jspecify.annotations.NullMarked;
