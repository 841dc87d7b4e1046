package dev.leaderelection.examples.snippets;

// tag::contract-subclass[]
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import dev.leaderelection.testkit.LeaseLockContract;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** Certifies a Kubernetes Lease backend against a real kube-apiserver + etcd. */
@ExtendWith(LocalControlPlaneExtension.class) // one local API server for the whole test run
class MyLeaseLockContractIT extends LeaseLockContract {
  private final TestCluster cluster;
  private final KubernetesClient admin; // a plain client: "another tool"
  private final String namespace;
  private final List<AutoCloseable> opened = new ArrayList<>();

  MyLeaseLockContractIT(TestCluster cluster) {
    this.cluster = cluster;
    this.admin = cluster.adminClient();
    this.namespace = cluster.createUniqueNamespace("contract");
  }

  @AfterEach
  void closeOpened() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  @Override
  protected LeaseLock newLock(String leaseName, String identity) {
    // Your backend goes here, pointed at cluster.apiServerUrl() with the credentials of
    // cluster.adminConfig() or cluster.kubeconfigFile(). This example certifies fabric8's.
    return KubernetesLeaseLock.builder(admin)
        .namespace(namespace)
        .name(leaseName)
        .identity(identity)
        .build();
  }

  @Override
  protected void deleteLease(String leaseName) {
    admin.leases().inNamespace(namespace).withName(leaseName).delete();
  }

  @Override
  protected void storeAsAnotherTool(String leaseName, LeaseRecord r) {
    admin
        .leases()
        .inNamespace(namespace)
        .resource(
            new LeaseBuilder()
                .withNewMetadata()
                .withName(leaseName)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(r.holderIdentity())
                .withLeaseDurationSeconds(r.leaseDurationSeconds())
                .withAcquireTime(utc(r.acquireTime()))
                .withRenewTime(utc(r.renewTime()))
                .withLeaseTransitions(r.leaseTransitions())
                .withStrategy(r.strategy())
                .withPreferredHolder(r.preferredHolder())
                .endSpec()
                .build())
        .create();
  }

  @Override
  protected Optional<LeaseLock> unresponsiveLock(String leaseName, String identity) {
    TcpRelay silent = TcpRelay.to(cluster.apiServerUrl()); // accepts connections...
    silent.cut(TcpRelay.CutMode.BLACKHOLE); // ...and never answers
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(cluster.adminConfig()).withMasterUrl(silent.url()).build())
            .build();
    opened.add(client);
    opened.add(silent);
    return Optional.of(
        KubernetesLeaseLock.builder(client)
            .namespace(namespace)
            .name(leaseName)
            .identity(identity)
            .build());
  }

  // versionsGrowAcrossRecreate(), microsecondTimes() and storeAcceptsNonPositiveDuration() keep
  // their defaults, which describe a Kubernetes Lease.

  private static ZonedDateTime utc(Instant t) {
    return t == null ? null : t.atZone(ZoneOffset.UTC);
  }
}
// end::contract-subclass[]
