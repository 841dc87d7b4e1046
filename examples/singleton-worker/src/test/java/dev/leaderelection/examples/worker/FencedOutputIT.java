package dev.leaderelection.examples.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.examples.worker.FencedOutput.Outcome;
import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fenced ConfigMap rejects writes of older terms. */
@ExtendWith(LocalControlPlaneExtension.class)
class FencedOutputIT {

  @Test
  void aWriteWithAnOlderTokenIsFencedOff(TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("fenced");
    FencedOutput out = new FencedOutput(cluster.adminClient(), ns, "worker-output");

    assertThat(out.write(5, "a").outcome()).isEqualTo(Outcome.WROTE);
    assertThat(out.write(5, "a").writes()).isEqualTo(2);
    FencedOutput.Result stale = out.write(4, "zombie");
    assertThat(stale.outcome()).isEqualTo(Outcome.FENCED);
    assertThat(stale.storedToken()).isEqualTo(5);
    assertThat(out.write(6, "b").outcome()).isEqualTo(Outcome.WROTE);
    assertThat(out.write(5, "a").outcome()).isEqualTo(Outcome.FENCED);
    assertThat(Objects.requireNonNull(out.read()).getData())
        .containsEntry("writer", "b")
        .containsEntry("writes", "3");
  }

  @Test
  void aWriteBasedOnAStaleReadLosesTheCompareAndSwap(TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("fenced");
    FencedOutput out = new FencedOutput(cluster.adminClient(), ns, "worker-output");
    out.write(1, "a");
    ConfigMap readByOldLeader = Objects.requireNonNull(out.read());
    // The new leader writes between the old leader's read and its write.
    assertThat(out.write(2, "b").outcome()).isEqualTo(Outcome.WROTE);
    assertThat(out.write(readByOldLeader, 1, "a").outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(FencedOutput.storedToken(Objects.requireNonNull(out.read()))).isEqualTo(2);
  }

  @Test
  void twoFirstWritersRaceForTheCreate(TestCluster cluster) {
    String ns = cluster.createUniqueNamespace("fenced");
    FencedOutput out = new FencedOutput(cluster.adminClient(), ns, "worker-output");
    assertThat(out.write(null, 1, "a").outcome()).isEqualTo(Outcome.WROTE);
    assertThat(out.write(null, 2, "b").outcome()).isEqualTo(Outcome.CONFLICT);
  }
}
