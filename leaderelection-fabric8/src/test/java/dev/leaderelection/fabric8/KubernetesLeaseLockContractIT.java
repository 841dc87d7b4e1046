package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.testkit.LeaseLockContract;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TcpRelay;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link KubernetesLeaseLock} passes the {@link LeaseLockContract} against the real API server of
 * the test kit. Another tool is the admin client sending raw Lease JSON (not this backend's model);
 * the unresponsive store is a {@link TcpRelay} cut before the first connection.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class KubernetesLeaseLockContractIT extends LeaseLockContract {
  /** MicroTime as client-go writes it: UTC, six fractional digits. */
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

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
    It.deleteRaw(admin, ns, leaseName);
  }

  @Override
  protected void storeAsAnotherTool(String leaseName, LeaseRecord r) {
    StringBuilder spec = new StringBuilder("{");
    field(spec, "holderIdentity", json(r.holderIdentity()));
    field(spec, "leaseDurationSeconds", r.leaseDurationSeconds());
    field(spec, "acquireTime", json(time(r.acquireTime())));
    field(spec, "renewTime", json(time(r.renewTime())));
    field(spec, "leaseTransitions", r.leaseTransitions());
    field(spec, "strategy", json(r.strategy()));
    field(spec, "preferredHolder", json(r.preferredHolder()));
    It.createRaw(admin, ns, leaseName, spec.append('}').toString());
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

  private static void field(StringBuilder b, String name, @Nullable Object value) {
    if (value != null) {
      b.append(b.length() > 1 ? "," : "").append('"').append(name).append("\":").append(value);
    }
  }

  private static @Nullable String time(@Nullable Instant t) {
    return t == null ? null : MICRO_TIME.format(t);
  }

  private static @Nullable String json(@Nullable String s) {
    return s == null ? null : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
