package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaderElectionConfig;
import dev.leaderelection.core.LeaderElectionListener;
import dev.leaderelection.core.LeaderElector;
import dev.leaderelection.core.Leadership;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;

/**
 * One candidate in its own JVM, for the multi-process tests. Arguments: apiserver URL, bearer
 * token, namespace, lease name, identity, leaseDuration/renewDeadline/retryPeriod in seconds.
 * Prints one line per event on the machine's monotonic clock ({@code System.nanoTime()} is
 * CLOCK_MONOTONIC on Linux, shared by all processes): {@code EVENT t=<ns> id=<id>
 * event=<started|ended> from=<ns> until=<ns> token=<n>}. Closes (and releases) on SIGTERM.
 */
public final class CandidateMain {
  private CandidateMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String token = args[1];
    String ns = args[2];
    String name = args[3];
    String id = args[4];
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url)
            .withOauthToken(token)
            .withTrustCerts(true)
            .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    LeaderElectionConfig timing =
        LeaderElectionConfig.builder()
            .leaseDuration(Duration.ofSeconds(Long.parseLong(args[5])))
            .renewDeadline(Duration.ofSeconds(Long.parseLong(args[6])))
            .retryPeriod(Duration.ofSeconds(Long.parseLong(args[7])))
            .build();
    LeaderElector elector =
        LeaderElector.builder(
                KubernetesLeaseLock.builder(client).name(name).namespace(ns).identity(id).build())
            .config(timing)
            .listener(
                new LeaderElectionListener() {
                  @Override
                  public void onLeadershipAcquired(Leadership l) {
                    print(id, "started", l);
                  }

                  @Override
                  public void onLeadershipEnded(Leadership l, Leadership.EndReason reason) {
                    print(id, "ended", l);
                  }
                })
            .build();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  elector.close();
                  System.out.println(
                      "EVENT t=" + System.nanoTime() + " id=" + id + " event=closed");
                  System.out.flush();
                }));
    elector.start();
    System.out.println("EVENT t=" + System.nanoTime() + " id=" + id + " event=running");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  private static void print(String id, String event, Leadership l) {
    System.out.println(
        "EVENT t="
            + System.nanoTime()
            + " id="
            + id
            + " event="
            + event
            + " from="
            + l.validFromNanos()
            + " until="
            + l.validUntilNanos()
            + " token="
            + l.fencingToken());
    System.out.flush();
  }
}
