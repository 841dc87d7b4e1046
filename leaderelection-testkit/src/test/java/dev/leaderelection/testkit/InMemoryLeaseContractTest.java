package dev.leaderelection.testkit;

import dev.leaderelection.core.InMemoryLease;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link InMemoryLease} passes the {@link LeaseLockContract}: one {@code InMemoryLease} per Lease
 * name; another tool writes with {@link InMemoryLease#overwrite} and deletes with {@link
 * InMemoryLease#delete()}. It keeps times to the nanosecond and stores any record, a negative
 * duration too. It has no unresponsive store (its calls complete before they return), so the
 * timeout test is skipped.
 */
class InMemoryLeaseContractTest extends LeaseLockContract {
  private final Map<String, InMemoryLease> leases = new ConcurrentHashMap<>();

  private InMemoryLease lease(String name) {
    return leases.computeIfAbsent(name, InMemoryLease::new);
  }

  @Override
  protected LeaseLock newLock(String leaseName, String identity) {
    return lease(leaseName).lock(identity);
  }

  @Override
  protected void deleteLease(String leaseName) {
    lease(leaseName).delete();
  }

  @Override
  protected void storeAsAnotherTool(String leaseName, LeaseRecord record) {
    LeaseRecord unused = lease(leaseName).overwrite(record);
  }

  @Override
  protected Optional<LeaseLock> unresponsiveLock(String leaseName, String identity) {
    return Optional.empty();
  }

  @Override
  protected boolean microsecondTimes() {
    return false;
  }

  @Override
  protected boolean storeAcceptsNonPositiveDuration() {
    return true;
  }
}
