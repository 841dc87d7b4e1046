/**
 * A real Kubernetes control plane for integration tests, benchmarks and demos.
 *
 * <ul>
 *   <li>{@link dev.leaderelection.testkit.LocalControlPlane}: etcd and kube-apiserver started on
 *       127.0.0.1 from binaries that {@code controlplane/build.sh} builds once per machine; it can
 *       restart, stop and freeze them to inject failures.
 *   <li>{@link dev.leaderelection.testkit.LocalControlPlaneExtension}: a JUnit extension that
 *       starts one cluster per test run and injects it ({@link
 *       dev.leaderelection.testkit.TestCluster} or {@link
 *       dev.leaderelection.testkit.LocalControlPlane} parameters). With the system property {@code
 *       leaderelection.it.cluster=k3s} it uses a Testcontainers K3s cluster instead.
 *   <li>{@link dev.leaderelection.testkit.TcpRelay}: a loopback TCP proxy that a test can cut to
 *       partition one client from the apiserver.
 * </ul>
 *
 * <p>This module is for tests only and is not published.
 */
@NullMarked
package dev.leaderelection.testkit;

import org.jspecify.annotations.NullMarked;
