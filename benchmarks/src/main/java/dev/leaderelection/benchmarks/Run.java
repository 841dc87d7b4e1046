package dev.leaderelection.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs the selected sections and writes the results and the report. */
final class Run {
  private Run() {}

  static final List<Impl> IMPLS = List.of(Impl.OURS, Impl.OURS_CJ, Impl.FABRIC8, Impl.OFFICIAL);
  static final List<Profile> PROFILES = List.of(Profile.DEFAULT, Profile.FAST);

  static Path resultsDir(Map<String, String> args) {
    return Path.of(args.getOrDefault("results", "benchmarks/results"));
  }

  static Path docsDir(Map<String, String> args) {
    return Path.of(args.getOrDefault("docs", "docs"));
  }

  static void log(String s) {
    System.err.println("[bench " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "] " + s);
  }

  static void all(Map<String, String> args, String commandLine) throws Exception {
    System.setProperty("java.awt.headless", "true");
    boolean quick = args.containsKey("quick");
    List<String> sections =
        List.of(
            args.getOrDefault("only", "handover,crash,startup,api,chaos,ha,footprint")
                .split(",", -1));
    Path results = resultsDir(args);
    Path docs = docsDir(args);
    Files.createDirectories(results);
    Path work = Files.createTempDirectory("leaderelection-bench-");
    Path logs = work.resolve("logs");
    Files.createDirectories(logs);
    log("work directory " + work + (quick ? " (quick mode)" : ""));
    int handoverTrials = intArg(args, "handover-trials", quick ? 6 : 30);
    int crashTrials = intArg(args, "crash-trials", quick ? 4 : 20);
    int startupTrials = intArg(args, "startup-trials", quick ? 2 : 5);
    int apiWindow = intArg(args, "api-window", quick ? 30 : 60);
    int chaosLocalRounds = intArg(args, "chaos-local-rounds", quick ? 2 : 14);
    int chaosGlobalRounds = intArg(args, "chaos-global-rounds", quick ? 1 : 8);
    int haRounds = intArg(args, "ha-rounds", quick ? 1 : 6);
    int lanes = intArg(args, "lanes", quick ? 1 : 2);
    int footprintSeconds = intArg(args, "footprint-seconds", quick ? 60 : 600);

    Map<String, Object> runMeta = new LinkedHashMap<>();
    runMeta.put("command", commandLine);
    runMeta.put("quick", quick);
    runMeta.put("startedAt", Instant.now().toString());
    runMeta.putAll(Machine.describe());

    Cluster.Single cluster = null;
    try {
      for (String section : sections) {
        if (section.equals("ha") || section.equals("footprint")) {
          continue;
        }
        if (cluster == null) {
          log("starting the local control plane");
          cluster = new Cluster.Single(work.resolve("cp"));
        }
        Cluster.Single cp = cluster;
        long t0 = System.nanoTime();
        String load0 = Machine.loadavg();
        log("section " + section);
        List<Map<String, Object>> rows =
            switch (section) {
              case "handover" -> {
                List<Map<String, Object>> r = new ArrayList<>();
                for (Profile p : PROFILES) {
                  r.addAll(
                      Harness.perImpl(
                          IMPLS, i -> Harness.handover(cp, i, p, handoverTrials, logs)));
                }
                yield r;
              }
              case "crash" -> {
                List<Map<String, Object>> r = new ArrayList<>();
                for (Profile p : PROFILES) {
                  r.addAll(Harness.perImpl(IMPLS, i -> Harness.crash(cp, i, p, crashTrials, logs)));
                }
                yield r;
              }
              case "startup" -> {
                List<Map<String, Object>> r = new ArrayList<>();
                for (Profile p : PROFILES) {
                  r.addAll(
                      Harness.perImpl(IMPLS, i -> Harness.startup(cp, i, p, startupTrials, logs)));
                }
                yield r;
              }
              case "api" -> api(cp, apiWindow, logs);
              case "chaos" -> chaos(cp, chaosLocalRounds, chaosGlobalRounds, lanes, logs);
              default -> throw new IllegalArgumentException("unknown section " + section);
            };
        writeSection(results, section, rows, t0, load0, quick);
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
    if (sections.contains("ha")) {
      long t0 = System.nanoTime();
      String load0 = Machine.loadavg();
      log("section ha: starting the HA control plane (3 etcd, 2 apiservers, HAProxy)");
      Map<String, String> bins = new HashMap<>();
      bins.putAll(Machine.keyValues("controlplane/build.sh"));
      bins.putAll(Machine.keyValues("benchmarks/setup.sh"));
      try (Cluster.Ha ha = new Cluster.Ha(work.resolve("ha"), bins)) {
        List<Map<String, Object>> rows = ha(ha, haRounds, lanes, logs);
        writeSection(results, "ha", rows, t0, load0, quick);
      } catch (RuntimeException e) {
        log("section ha FAILED: " + e);
        e.printStackTrace();
      }
    }
    if (sections.contains("footprint")) {
      long t0 = System.nanoTime();
      String load0 = Machine.loadavg();
      log("section footprint");
      List<Map<String, Object>> rows = footprint(work, footprintPlan(args, footprintSeconds), logs);
      writeSection(results, "footprint", rows, t0, load0, quick);
    }
    runMeta.put("finishedAt", Instant.now().toString());
    runMeta.put("loadAfter", Machine.loadavg());
    // a run of some sections only is recorded beside the full run's description, not over it
    String runFile =
        args.containsKey("only") ? "run-only-" + String.join("-", sections) + ".json" : "run.json";
    Files.writeString(results.resolve(runFile), Json.write(runMeta) + "\n", StandardCharsets.UTF_8);
    Report.write(results, docs);
    log("done; logs in " + logs);
  }

  private static int intArg(Map<String, String> args, String key, int def) {
    String v = args.get(key);
    return v == null ? def : Integer.parseInt(v);
  }

  static void writeSection(
      Path results,
      String section,
      List<Map<String, Object>> rows,
      long t0,
      String load0,
      boolean quick) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("section", section);
    doc.put("quick", quick);
    doc.put("finishedAt", Instant.now().toString());
    doc.put("durationSeconds", (System.nanoTime() - t0) / 1e9);
    doc.put("loadBefore", load0);
    doc.put("loadAfter", Machine.loadavg());
    doc.put("rows", rows);
    try {
      Files.writeString(
          results.resolve(section + ".json"), Json.write(doc) + "\n", StandardCharsets.UTF_8);
      Files.writeString(results.resolve(section + ".csv"), csv(rows), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    log("section " + section + " done in " + Math.round((System.nanoTime() - t0) / 1e9) + " s");
  }

  static String csv(List<Map<String, Object>> rows) {
    List<String> cols = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      for (String k : r.keySet()) {
        if (!cols.contains(k)) {
          cols.add(k);
        }
      }
    }
    StringBuilder sb = new StringBuilder(String.join(",", cols)).append('\n');
    for (Map<String, Object> r : rows) {
      List<String> cells = new ArrayList<>();
      for (String c : cols) {
        Object v = r.get(c);
        String s =
            v == null
                ? ""
                : v instanceof Double d
                    ? String.format(java.util.Locale.ROOT, "%.3f", d)
                    : v.toString();
        if (s.contains(",") || s.contains("\"")) {
          s = "\"" + s.replace("\"", "\"\"") + "\"";
        }
        cells.add(s);
      }
      sb.append(String.join(",", cells)).append('\n');
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------

  static List<Map<String, Object>> api(Cluster cp, int window, Path logs) {
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Object> base = Harness.apiBaseline(cp, window);
    rows.add(base);
    @SuppressWarnings("unchecked")
    Map<String, Object> bv = (Map<String, Object>) base.get("perMinuteByVerb");
    Map<String, Double> baseline = new HashMap<>();
    if (bv != null) {
      bv.forEach((k, v) -> baseline.put(k, ((Number) v).doubleValue()));
    }
    for (Profile p : PROFILES) {
      for (Impl i : IMPLS) {
        log("api load " + i.id() + " " + p.name());
        rows.add(Harness.apiLoad(cp, i, p, window, baseline, logs));
      }
    }
    return rows;
  }

  static List<Map<String, Object>> chaos(
      Cluster.Single cp, int localRounds, int globalRounds, int lanes, Path logs) throws Exception {
    Profile pr = Profile.FAST;
    List<Group> groups = new ArrayList<>();
    for (Impl i : IMPLS) {
      for (int l = 0; l < lanes; l++) {
        groups.add(new Group(i, pr, "ch-" + i.id() + "-l" + l, 3, cp, List.of(), logs));
      }
    }
    List<Group> clockGroups = new ArrayList<>();
    String lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
    boolean faketime = Files.exists(Path.of(lib));
    for (Impl i : IMPLS) {
      List<List<String>> env = new ArrayList<>();
      env.add(List.of());
      for (String off : List.of("+60s", "-60s")) {
        env.add(
            faketime
                ? List.of(
                    "LD_PRELOAD=" + lib,
                    "FAKETIME=" + off,
                    "FAKETIME_DONT_FAKE_MONOTONIC=1",
                    "FAKETIME_FORCE_MONOTONIC_FIX=0",
                    "FAKETIME_DONT_RESET=1")
                : List.of());
      }
      clockGroups.add(new Group(i, pr, "ck-" + i.id(), 3, cp, env, logs));
    }
    List<Map<String, Object>> rows = Collections.synchronizedList(new ArrayList<>());
    ExecutorService ex = Executors.newFixedThreadPool(groups.size() + clockGroups.size());
    try {
      // one JVM at a time: 18+ JVMs starting together on 2 cores take minutes
      for (Group g : groups) {
        g.spawnAll();
      }
      for (Group g : clockGroups) {
        g.spawnAll();
      }
      // global faults: every lane of every implementation takes part in each round
      int trial = 0;
      for (int r = 0; r < globalRounds; r++) {
        for (Harness.Fault f : List.of(Harness.Fault.APISERVER_RESTART, Harness.Fault.ETCD_PAUSE)) {
          log("chaos global round " + r + " " + f);
          rows.addAll(Harness.globalRound(cp, groups, f, trial++, "single", Run::log));
        }
      }
      // local faults: lanes in parallel
      List<Harness.Fault> local =
          List.of(
              Harness.Fault.KILL,
              Harness.Fault.STOP,
              Harness.Fault.PARTITION,
              Harness.Fault.CONFLICTS);
      List<Future<?>> fs = new ArrayList<>();
      for (Group g : groups) {
        fs.add(
            ex.submit(
                () -> {
                  int t = 0;
                  for (int r = 0; r < localRounds; r++) {
                    for (Harness.Fault f : local) {
                      Map<String, Object> row = Harness.chaosTrial(cp, g, f, t++, "single", null);
                      log(
                          "chaos "
                              + g.procs.get(0).id
                              + " "
                              + f
                              + " overlaps="
                              + row.get("overlaps"));
                      rows.add(row);
                    }
                  }
                }));
      }
      for (Group g : clockGroups) {
        fs.add(
            ex.submit(
                () -> {
                  for (int t = 0; t < localRounds * 2; t++) {
                    Map<String, Object> row =
                        Harness.chaosTrial(cp, g, Harness.Fault.CLOCK, t, "single", null);
                    row.put(
                        "clockOffsets",
                        faketime
                            ? "a 0, b +60 s, c -60 s (libfaketime, wall clock only)"
                            : "none: libfaketime missing");
                    log("chaos " + g.procs.get(0).id + " CLOCK overlaps=" + row.get("overlaps"));
                    rows.add(row);
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      ex.shutdownNow();
      for (Group g : groups) {
        g.exitAll();
      }
      for (Group g : clockGroups) {
        g.exitAll();
      }
    }
    return new ArrayList<>(rows);
  }

  static List<Map<String, Object>> ha(Cluster.Ha ha, int rounds, int lanes, Path logs)
      throws Exception {
    Profile pr = Profile.FAST;
    List<Group> groups = new ArrayList<>();
    for (Impl i : IMPLS) {
      for (int l = 0; l < lanes; l++) {
        groups.add(new Group(i, pr, "ha-" + i.id() + "-l" + l, 3, ha, List.of(), logs));
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      for (Group g : groups) {
        g.spawnAll();
      }
      int trial = 0;
      for (int r = 0; r < rounds; r++) {
        for (Harness.Fault f :
            List.of(
                Harness.Fault.HA_APISERVER_KILL,
                Harness.Fault.HA_ETCD_MOVE_LEADER,
                Harness.Fault.HA_ETCD_MEMBER_STOP)) {
          log("ha round " + r + " " + f);
          rows.addAll(Harness.globalRound(ha, groups, f, trial++, "ha", Run::log));
        }
      }
    } finally {
      for (Group g : groups) {
        g.exitAll();
      }
    }
    return rows;
  }

  /**
   * One footprint run: an implementation, how many electors, for how long, with or without watch.
   */
  record FootprintRun(Impl impl, int n, int seconds, boolean watch) {
    String id() {
      return impl.id() + "-" + n + (watch ? "" : "-nowatch");
    }
  }

  /**
   * The footprint runs: {@code --footprint-plan
   * ours:1000:600,fabric8:100:120,ours:1000:600:nowatch} if given; else 1, 100 and 1,000 electors
   * of each implementation for {@code seconds}.
   */
  static List<FootprintRun> footprintPlan(Map<String, String> args, int seconds) {
    List<FootprintRun> plan = new ArrayList<>();
    String given = args.get("footprint-plan");
    if (given != null) {
      for (String item : given.split(",", -1)) {
        String[] p = item.split(":", -1);
        if (p.length < 3 || p.length > 4 || (p.length == 4 && !p[3].equals("nowatch"))) {
          throw new IllegalArgumentException(
              "--footprint-plan: '" + item + "' is not impl:electors:seconds[:nowatch]");
        }
        plan.add(
            new FootprintRun(
                Impl.parse(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]), p.length == 3));
      }
      return plan;
    }
    // 1,000 electors of each implementation for the whole window (spurious losses need the time);
    // the others' 1 and 100 only for threads and heap, which settle within the first minute
    for (Impl i : IMPLS) {
      for (int n : new int[] {1, 100, 1000}) {
        plan.add(
            new FootprintRun(i, n, i.ours() || n == 1000 ? seconds : Math.min(seconds, 120), true));
      }
    }
    return plan;
  }

  static List<Map<String, Object>> footprint(Path work, List<FootprintRun> plan, Path logs)
      throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (FootprintRun p : plan) {
      Impl impl = p.impl();
      int n = p.n();
      int secs = p.seconds();
      // a fresh control plane for each, so that no run inherits another's Leases or load
      Path cpDir = work.resolve("fp-" + p.id());
      try (Cluster.Single cp = new Cluster.Single(cpDir)) {
        log("footprint " + impl.id() + " x " + n + " for " + secs + " s");
        List<String> cmd = new ArrayList<>(Harness.javaCommand());
        cmd.set(1, "-Xmx2g");
        cmd.remove("-XX:TieredStopAtLevel=1");
        cmd.addAll(
            List.of(
                "footprint-child",
                "--impl",
                impl.id(),
                "--n",
                Integer.toString(n),
                "--seconds",
                Integer.toString(secs),
                "--url",
                cp.url(),
                "--token",
                cp.token(),
                "--profile",
                "default",
                "--watch",
                Boolean.toString(p.watch())));
        double serverCpu0 = cpuSeconds(cpDir);
        long wall0 = System.nanoTime();
        Process proc =
            new ProcessBuilder(cmd)
                .redirectError(
                    ProcessBuilder.Redirect.appendTo(
                        logs.resolve("footprint-" + p.id() + ".log").toFile()))
                .start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        proc.waitFor();
        Map<String, Object> row = null;
        for (String line : out.split("\n", -1)) {
          if (line.startsWith("RESULT ")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) JsonRead.parse(line.substring(7));
            row = m;
          }
        }
        if (row != null) {
          // apiserver + etcd, over the child's whole life (start-up, the window, close)
          row.put(
              "serverCpuCores",
              (cpuSeconds(cpDir) - serverCpu0) / ((System.nanoTime() - wall0) / 1e9));
        } else {
          row = new LinkedHashMap<>();
          row.put("impl", impl.id());
          row.put("electors", n);
          row.put("error", "no result; see " + logs);
        }
        log("footprint " + row);
        rows.add(row);
      }
    }
    return rows;
  }

  /** {@return CPU seconds used so far by the processes whose command line names {@code dir}} */
  static double cpuSeconds(Path dir) {
    String d = dir.toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(d)).orElse(false))
        .mapToDouble(p -> p.info().totalCpuDuration().map(x -> x.toNanos() / 1e9).orElse(0.0))
        .sum();
  }
}
