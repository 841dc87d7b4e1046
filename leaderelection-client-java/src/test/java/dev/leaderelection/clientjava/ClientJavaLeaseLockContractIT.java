package dev.leaderelection.clientjava;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.LeaseLockContract;
import dev.leaderelection.testkit.LocalControlPlane;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.RawLeases;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.kubernetes.client.openapi.ApiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ClientJavaLeaseLock} passes the {@link LeaseLockContract} against the real API server of
 * the test kit. Another tool is a plain client sending hand-made Lease JSON; the unresponsive store
 * is a {@link TcpRelay} cut before the first connection.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ClientJavaLeaseLockContractIT extends LeaseLockContract {
  private final TestCluster cluster;
  private final ApiClient admin;
  private final String ns;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  ClientJavaLeaseLockContractIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = ClientJavaIt.admin(cluster);
    this.ns = cluster.createUniqueNamespace("contract-cj");
  }

  @AfterEach
  void closeResources() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Override
  protected LeaseLock newLock(String leaseName, String identity) {
    return ClientJavaLeaseLock.builder(admin)
        .name(leaseName)
        .namespace(ns)
        .identity(identity)
        .build();
  }

  @Override
  protected void deleteLease(String leaseName) {
    RawLeases.delete(cluster.adminClient(), ns, leaseName);
  }

  @Override
  protected void storeAsAnotherTool(String leaseName, LeaseRecord r) {
    RawLeases.create(cluster.adminClient(), ns, leaseName, r);
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
    ApiClient c =
        ClientJavaIt.apiClient(
            relay.url(), Objects.requireNonNull(cluster.adminConfig().getOauthToken()));
    return Optional.of(
        ClientJavaLeaseLock.builder(c).name(leaseName).namespace(ns).identity(identity).build());
  }
}
