package dev.leaderelection.examples.snippets;

// tag::readme-main[]
import dev.leaderelection.core.LeaderCallbacks;
import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import dev.leaderelection.core.LeaseLock;
import dev.leaderelection.fabric8.KubernetesLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class ReadmeMain {
  public static void main(String[] args) throws InterruptedException {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      // Namespace: the pod's own (or the kubeconfig's); identity: pod name + random suffix.
      LeaseLock lock = KubernetesLeaseLock.builder(client).name("my-controller").build();

      CountDownLatch working = new CountDownLatch(1);
      LeaderElector elector =
          LeaderElector.builder(lock)
              .config(LeaderElectionConfig.defaults()) // 15 s / 10 s / 2 s
              .callbacks(
                  new LeaderCallbacks() {
                    @Override
                    public void onStartedLeading(Leadership leadership) {
                      // Start leader-only work; stop it when leadership.ended() completes.
                      // Fence writes with leadership.fencingToken().
                      System.out.println("leading, fencing token " + leadership.fencingToken());
                      working.countDown();
                    }

                    @Override
                    public void onStoppedLeading(Leadership leadership) {
                      // Leader-only work must have stopped.
                    }
                  })
              .build();
      elector.start(); // returns at once
      // A term that ends before its start callback ran runs neither callback: wait for the work.
      if (elector.awaitLeadership(Duration.ofSeconds(30)).isPresent()
          && working.await(30, TimeUnit.SECONDS)) {
        System.out.println("this process leads " + lock.description());
      }
      elector.close(); // ends the term, waits for the callbacks, releases the Lease
    }
  }
}
// end::readme-main[]
