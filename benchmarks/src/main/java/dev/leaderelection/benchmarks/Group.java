package dev.leaderelection.benchmarks;

import dev.leaderelection.testkit.TcpRelay;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Candidate processes of one implementation that compete for the same Leases. */
final class Group {
  final Impl impl;
  final Profile profile;
  final List<Proc> procs = new ArrayList<>();

  Group(
      Impl impl,
      Profile profile,
      String name,
      int size,
      Cluster cluster,
      List<List<String>> envPerProc,
      Path logDir) {
    this.impl = impl;
    this.profile = profile;
    for (int i = 0; i < size; i++) {
      String id = name + "-" + (char) ('a' + i);
      TcpRelay relay = TcpRelay.to(cluster.url());
      List<String> cmd = new ArrayList<>(Harness.javaCommand());
      cmd.addAll(
          List.of(
              "candidate",
              "--impl",
              impl.id(),
              "--url",
              relay.url(),
              "--token",
              cluster.token(),
              "--identity",
              id,
              "--profile",
              profile.name()));
      List<String> env = i < envPerProc.size() ? envPerProc.get(i) : List.of();
      procs.add(new Proc(impl, id, relay, cmd, env, logDir));
    }
  }

  void spawnAll() {
    for (Proc p : procs) {
      p.spawn();
    }
  }

  void respawnDead() {
    for (Proc p : procs) {
      if (!p.alive()) {
        p.spawn();
      }
    }
  }

  Optional<Proc> leader(String lease) {
    for (Proc p : procs) {
      if (p.alive() && p.leads(lease)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Sends close to every live candidate and waits for each CLOSED. */
  void closeAll(String lease) {
    List<int[]> marks = new ArrayList<>();
    for (Proc p : procs) {
      marks.add(new int[] {p.mark()});
      if (p.alive()) {
        p.send("close");
      }
    }
    long timeout = 2_000L * profile.renewSeconds() + 10_000;
    for (int i = 0; i < procs.size(); i++) {
      Proc p = procs.get(i);
      if (p.alive()) {
        var unused =
            p.await(
                l -> l.kind().equals("CLOSED") && l.lease().equals(lease),
                marks.get(i)[0],
                timeout);
      }
    }
  }

  void exitAll() {
    for (Proc p : procs) {
      p.exit();
      p.relay.close();
    }
  }
}
