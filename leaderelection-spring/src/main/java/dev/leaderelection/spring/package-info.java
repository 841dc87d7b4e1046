/**
 * Spring Boot auto-configuration for Lease-based leader election.
 *
 * <p>Add {@code leaderelection-spring} and the application takes part in an election for a
 * Kubernetes Lease named after {@code spring.application.name}, in the pod's own namespace, through
 * fabric8's {@code KubernetesClient} or client-java's {@code ApiClient} ({@code
 * leaderelection.kubernetes-client}, else the client whose bean the application defines, else
 * fabric8). What it gets:
 *
 * <ul>
 *   <li>a {@link dev.leaderelection.spring.LeaderElection} bean that answers {@code isLeader()},
 *       names the current leader and can yield, and {@link
 *       dev.leaderelection.spring.LeaderElections} for several named elections ({@code
 *       leaderelection.elections.<name>.*});
 *   <li>application events, published on the election's callback thread in the order things
 *       happened: {@link dev.leaderelection.spring.NewLeaderEvent}, {@link
 *       dev.leaderelection.spring.LeaderGrantedEvent} ({@code isLeader()} is already true while it
 *       is handled) and {@link dev.leaderelection.spring.LeaderRevokedEvent}; with Spring
 *       Integration on the classpath also its {@code OnGrantedEvent} and {@code OnRevokedEvent},
 *       whose {@code Context} answers {@code isLeader()} and can {@code yield()};
 *   <li>{@link dev.leaderelection.spring.LeaderOnly @LeaderOnly} for {@code @Scheduled} methods
 *       that must run on the leader only (an interceptor on the method, run on the caller's
 *       thread);
 *   <li>with Spring Boot's health module, a health indicator ({@code leaderElection}) that is DOWN
 *       for a wedged leader and shows the last error of an election whose calls fail; with the
 *       actuator, an {@code /actuator/info} contribution; with Micrometer, the meters of {@link
 *       dev.leaderelection.micrometer.LeaderElectionMetrics}, registered at start;
 *   <li>a start-up check of the RBAC permissions on Leases, and {@code leaderelection.mode=local}
 *       for running without a cluster.
 * </ul>
 *
 * <p>Safe under misuse: {@code leaderelection.enabled=false} keeps elections that never lead (so
 * {@code @LeaderOnly} work runs nowhere rather than everywhere); unknown {@code leaderelection.*}
 * properties, a {@code retry-period} under 100 ms and Spring Cloud Kubernetes's ConfigMap-elector
 * properties stop the start-up; its Lease-elector properties are honoured with a warning.
 *
 * <p>Every bean backs off to one the application defines itself. The properties are in {@link
 * dev.leaderelection.spring.LeaderElectionProperties}.
 */
@NullMarked
package dev.leaderelection.spring;

import org.jspecify.annotations.NullMarked;
