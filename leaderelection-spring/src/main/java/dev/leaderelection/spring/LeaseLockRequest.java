package dev.leaderelection.spring;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link LeaseLockFactory} is asked to build a lock for: one election's Lease and this
 * process's identity in it, as resolved from {@link LeaderElectionProperties}. (Not the Kubernetes
 * {@code LeaseSpec}: this names a Lease, it is not its content.)
 *
 * @param election the election's name ({@code default} or a key under {@code
 *     leaderelection.elections})
 * @param leaseName the Lease's name, a DNS subdomain
 * @param namespace the Lease's namespace if configured; otherwise the lock decides (the pod's own)
 * @param identity the identity this process writes as holder
 */
public record LeaseLockRequest(
    String election, String leaseName, @Nullable String namespace, String identity) {}
