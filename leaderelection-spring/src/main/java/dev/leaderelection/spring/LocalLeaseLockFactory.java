package dev.leaderelection.spring;

import dev.leaderelection.core.InMemoryLease;
import dev.leaderelection.core.LeaseLock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Local mode: one in-memory lease per Lease name, private to this application context, so this
 * process always wins. {@link ManagedLeaderElections} logs a warning at start-up that no election
 * takes place.
 */
final class LocalLeaseLockFactory implements LeaseLockFactory {
  private final Map<String, InMemoryLease> leases = new ConcurrentHashMap<>();

  @Override
  public LeaseLock create(LeaseLockRequest request) {
    return leases.computeIfAbsent(request.leaseName(), InMemoryLease::new).lock(request.identity());
  }

  @Override
  public String toString() {
    return "LocalLeaseLockFactory" + leases.keySet();
  }
}
