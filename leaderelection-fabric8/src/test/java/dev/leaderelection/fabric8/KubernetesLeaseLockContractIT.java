package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.LeaseLockContract;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.RawLeases;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link KubernetesLeaseLock} passes the {@link LeaseLockContract} against the real API server of
 * the test kit. Another tool is the admin client sending raw Lease JSON (not this backend's model);
 * the unresponsive store is a {@link TcpRelay} cut before the first connection.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class KubernetesLeaseLockContractIT extends LeaseLockContract {
  private final TestCluster cluster;
  private final KubernetesClient admin;
  private final String ns;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  KubernetesLeaseLockContractIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = cluster.adminClient();
    this.ns = cluster.createUniqueNamespace("contract");
  }

  @AfterEach
  void closeResources() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Override
  protected LeaseLock newLock(String leaseName, String identity) {
    return KubernetesLeaseLock.builder(admin)
        .name(leaseName)
        .namespace(ns)
        .identity(identity)
        .build();
  }

  @Override
  protected void deleteLease(String leaseName) {
    RawLeases.delete(admin, ns, leaseName);
  }

  @Override
  protected void storeAsAnotherTool(String leaseName, LeaseRecord r) {
    RawLeases.create(admin, ns, leaseName, r);
  }

  @Override
  protected boolean restartStore() {
    if (!(cluster instanceof LocalControlPlane local)) {
      return false;
    }
    local.restartApiServer();
    return true;
  }

  @Override
  protected Optional<LeaseLock> unresponsiveLock(String leaseName, String identity) {
    TcpRelay relay = TcpRelay.to(cluster.apiServerUrl());
    toClose.add(relay);
    relay.cut(TcpRelay.CutMode.BLACKHOLE);
    KubernetesClient c = It.client(It.withUrl(cluster.adminConfig(), relay.url()));
    toClose.add(c);
    return Optional.of(
        KubernetesLeaseLock.builder(c).name(leaseName).namespace(ns).identity(identity).build());
  }
}
