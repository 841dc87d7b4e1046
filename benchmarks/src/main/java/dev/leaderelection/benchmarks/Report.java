package dev.leaderelection.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** Writes {@code docs/benchmarks.md} and its plots from the result files. */
final class Report {
  private Report() {}

  private static final String IMG = "benchmarks";

  @SuppressWarnings("unchecked")
  static @Nullable Map<String, Object> load(Path results, String name) throws IOException {
    Path f = results.resolve(name + ".json");
    if (!Files.exists(f)) {
      return null;
    }
    return (Map<String, Object>) JsonRead.parse(Files.readString(f, StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> rows(@Nullable Map<String, Object> doc) {
    if (doc == null) {
      return List.of();
    }
    Object r = doc.get("rows");
    return r == null ? List.of() : (List<Map<String, Object>>) r;
  }

  static String str(Map<String, Object> row, String key) {
    Object v = row.get(key);
    return v == null ? "" : v.toString();
  }

  static double num(Map<String, Object> row, String key) {
    Object v = row.get(key);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  static List<Double> values(List<Map<String, Object>> rows, String key) {
    List<Double> out = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      double d = num(r, key);
      if (!Double.isNaN(d)) {
        out.add(d);
      }
    }
    return out;
  }

  static List<Map<String, Object>> where(List<Map<String, Object>> rows, String key, String value) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      if (value.equals(str(r, key))) {
        out.add(r);
      }
    }
    return out;
  }

  /** {@return the implementations that have rows in {@code rows}, in the usual order} */
  static List<Impl> present(List<Map<String, Object>> rows) {
    List<Impl> out = new ArrayList<>();
    for (Impl i : Run.IMPLS) {
      if (!where(rows, "impl", i.id()).isEmpty()) {
        out.add(i);
      }
    }
    return out;
  }

  /** {@return the table label of an implementation id, or the id itself (e.g. the baseline)} */
  static String label(String id) {
    for (Impl i : Impl.values()) {
      if (i.id().equals(id)) {
        return i.label();
      }
    }
    return id;
  }

  /** This library's two backends, for the targets. */
  static final List<Impl> OURS = List.of(Impl.OURS, Impl.OURS_CJ);

  static String f(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    if (Math.abs(v) >= 100 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** {@return CPU use in cores, two decimals} */
  static String cores(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
  }

  static int sumInt(List<Map<String, Object>> rows, String key) {
    int s = 0;
    for (Map<String, Object> r : rows) {
      double d = num(r, key);
      if (!Double.isNaN(d)) {
        s += (int) d;
      }
    }
    return s;
  }

  static int countWhere(
      List<Map<String, Object>> rows, java.util.function.Predicate<Map<String, Object>> p) {
    int n = 0;
    for (Map<String, Object> r : rows) {
      if (p.test(r)) {
        n++;
      }
    }
    return n;
  }

  static String meta(@Nullable Map<String, Object> doc) {
    if (doc == null) {
      return "";
    }
    return String.format(
        Locale.ROOT,
        "_Section run %s, took %s s%s; load average before: %s, after: %s._\n\n",
        str(doc, "finishedAt"),
        f(num(doc, "durationSeconds")),
        Boolean.TRUE.equals(doc.get("quick")) ? " (quick mode)" : "",
        str(doc, "loadBefore"),
        str(doc, "loadAfter"));
  }

  static void write(Path results, Path docs) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Path img = docs.resolve(IMG);
    Files.createDirectories(img);
    StringBuilder md = new StringBuilder();
    Map<String, Object> run = load(results, "run");
    md.append("# Benchmarks: this library against fabric8 and the official Java client\n\n");
    md.append(
        "All numbers below were measured by the `benchmarks` module on this machine, against a real"
            + " etcd + kube-apiserver (v1.36.3) started locally, with the electors side by side:"
            + " **ours** (this library on fabric8: `leaderelection-fabric8`'s `KubernetesLeaseLock`),"
            + " **ours-cj** (this library on client-java: `leaderelection-client-java`'s"
            + " `ClientJavaLeaseLock`, over the same client-java 25.0.0 `ApiClient` as the official"
            + " elector; the benchmarks' class path holds client-java, client-java-api and"
            + " client-java-extended 25.0.0 only, with OkHttp 5.1.0), **fabric8**"
            + " (`io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector`, 8.0.0, Vert.x 4"
            + " HTTP client) and **official**"
            + " (`io.kubernetes.client.extended.leaderelection.LeaderElector`, client-java 25.0.0)."
            + " Sections measured before ours-cj was added have no ours-cj rows."
            + " Each candidate is its own JVM and reaches the API server through its own TCP relay."
            + " Times are on the machine's shared monotonic clock (`System.nanoTime()`,"
            + " CLOCK_MONOTONIC). Percentiles are nearest-rank: with fewer than 100 trials, p99 is the"
            + " maximum. Generated files: `benchmarks/results/*.json`, `*.csv`; this page is rewritten"
            + " by the run.\n\n");
    if (run != null) {
      md.append("## Machine and command\n\n");
      md.append("| | |\n|---|---|\n");
      for (String k :
          List.of(
              "command",
              "quick",
              "startedAt",
              "finishedAt",
              "nproc",
              "cpuModel",
              "memTotal",
              "jdk",
              "os",
              "loadBefore",
              "loadAfter")) {
        md.append("| ").append(k).append(" | `").append(str(run, k)).append("` |\n");
      }
      try (var files = Files.list(results)) {
        for (Path p : files.sorted().toList()) {
          String name = p.getFileName().toString();
          if (name.startsWith("run-only-") && name.endsWith(".json")) {
            Map<String, Object> o = load(results, name.substring(0, name.length() - 5));
            if (o != null) {
              md.append("| later re-run of some sections | `")
                  .append(str(o, "command"))
                  .append("`")
                  .append(Boolean.TRUE.equals(o.get("quick")) ? " (quick mode)" : "")
                  .append(", ")
                  .append(str(o, "startedAt"))
                  .append(" → ")
                  .append(str(o, "finishedAt"))
                  .append(", load before `")
                  .append(str(o, "loadBefore"))
                  .append("`, after `")
                  .append(str(o, "loadAfter"))
                  .append("` |\n");
            }
          }
        }
      }
      md.append(
          "\nThe whole comparison: `benchmarks/run.sh` (full) or `benchmarks/run.sh --quick`."
              + " A single section: `benchmarks/run.sh --only handover` (sections: handover, crash,"
              + " startup, api, chaos, ha, footprint). `benchmarks/run.sh report` rewrites this page"
              + " from the result files.\n\n");
      md.append("Section durations: ");
      List<String> durs = new ArrayList<>();
      for (String s : List.of("handover", "crash", "startup", "api", "chaos", "ha", "footprint")) {
        Map<String, Object> d = load(results, s);
        if (d != null) {
          durs.add(s + " " + f(num(d, "durationSeconds")) + " s");
        }
      }
      md.append(String.join(", ", durs)).append(".\n\n");
    }
    targets(md, results);
    handoverLike(
        md,
        results,
        img,
        "handover",
        "Graceful hand-over",
        "The leader closes (releasing the Lease); time from the start of its `close` to the other"
            + " candidate's start callback.",
        false);
    handoverLike(
        md,
        results,
        img,
        "crash",
        "Crash fail-over",
        "The leader's JVM is SIGKILLed; time from the signal to the other candidate's start callback."
            + " The phase of the kill within a renew period is random.",
        true);
    handoverLike(
        md,
        results,
        img,
        "startup",
        "Time to lead on start-up, Lease abandoned an hour ago",
        "A Lease names a holder whose `renewTime` is an hour old, and nothing has written it for 2 ×"
            + " leaseDuration + 3 s by the API server's clock (the Leases of all trials are created,"
            + " then left alone that long); one candidate starts; time from `start` to its start"
            + " callback. fabric8 compares the `renewTime` with its own wall clock (so it trusts the"
            + " holder's clock); this library compares the API server's `Date` with the API"
            + " server's `managedFields` time of the last write and takes a Lease unwritten for 2 ×"
            + " its leaseDuration at once (otherwise it waits a leaseDuration from its first"
            + " read, as client-go and the official client always do).",
        false);
    apiLoad(md, results, img);
    footprint(md, results, img);
    chaos(md, results, img);
    caveats(md);
    Path out = docs.resolve("benchmarks.md");
    Files.writeString(out, md.toString(), StandardCharsets.UTF_8);
    Run.log("wrote " + out);
  }

  static void handoverLike(
      StringBuilder md,
      Path results,
      Path img,
      String section,
      String title,
      String what,
      boolean minusLease)
      throws IOException {
    Map<String, Object> doc = load(results, section);
    if (doc == null) {
      return;
    }
    List<Map<String, Object>> rows = rows(doc);
    md.append("## ").append(title).append("\n\n").append(what).append("\n\n").append(meta(doc));
    md.append("| implementation | profile | trials | p50 ms | p90 ms | p99 ms | max ms |");
    if (minusLease) {
      md.append(" p50 − lease ms | p99 − lease ms |");
    }
    md.append(" failed | overlaps |\n|---|---|---|---|---|---|---|");
    if (minusLease) {
      md.append("---|---|");
    }
    md.append("---|---|\n");
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(800)
            .height(450)
            .title(title)
            .xAxisTitle("")
            .yAxisTitle("ms")
            .build();
    Map<String, List<Double>> series = new LinkedHashMap<>();
    List<String> cats = new ArrayList<>();
    List<Impl> impls = present(rows);
    for (Impl i : impls) {
      cats.add(i.label());
    }
    for (Profile p : Run.PROFILES) {
      List<Double> p50 = new ArrayList<>();
      List<Double> p99 = new ArrayList<>();
      for (Impl i : impls) {
        List<Map<String, Object>> r = where(where(rows, "impl", i.id()), "profile", p.name());
        Stats s = Stats.of(values(r, "latencyMs"));
        md.append("| ")
            .append(i.label())
            .append(" | ")
            .append(p.durations())
            .append(" | ")
            .append(s.n())
            .append(" | ")
            .append(f(s.p50()))
            .append(" | ")
            .append(f(s.p90()))
            .append(" | ")
            .append(f(s.p99()))
            .append(" | ")
            .append(f(s.max()))
            .append(" |");
        if (minusLease) {
          md.append(" ")
              .append(f(s.p50() - p.leaseSeconds() * 1000.0))
              .append(" | ")
              .append(f(s.p99() - p.leaseSeconds() * 1000.0))
              .append(" |");
        }
        md.append(" ")
            .append(countWhere(r, x -> x.containsKey("error")))
            .append(" | ")
            .append(sumInt(r, "overlaps"))
            .append(" |\n");
        p50.add(Double.isNaN(s.p50()) ? 0.0 : s.p50());
        p99.add(Double.isNaN(s.p99()) ? 0.0 : s.p99());
      }
      series.put(p.name() + " " + p.durations() + " p50", p50);
      series.put(p.name() + " " + p.durations() + " p99", p99);
    }
    for (Map.Entry<String, List<Double>> e : series.entrySet()) {
      chart.addSeries(e.getKey(), cats, e.getValue());
    }
    for (Impl i : section.equals("handover") ? OURS : List.<Impl>of()) {
      List<Map<String, Object>> ours = where(rows, "impl", i.id());
      Stats closed = Stats.of(values(ours, "oldClosedAfterMs"));
      Stats acq = Stats.of(values(ours, "newAcquiredAfterMs"));
      if (acq.n() > 0) {
        md.append("\nWhere the hand-over time of ")
            .append(i.label())
            .append(" goes (both profiles, from the start of")
            .append(" `close`): the old leader's `close()` returned (term ended, Lease released)")
            .append(" after p50 ")
            .append(f(closed.p50()))
            .append(" / p99 ")
            .append(f(closed.p99()))
            .append(" ms; the new leader's term began (`validFrom`) after p50 ")
            .append(f(acq.p50()))
            .append(" / p99 ")
            .append(f(acq.p99()))
            .append(" ms; the rest is the dispatch of its start callback.\n");
      }
    }
    String png = section + ".png";
    BitmapEncoder.saveBitmap(chart, img.resolve(png).toString(), BitmapEncoder.BitmapFormat.PNG);
    md.append("\n![")
        .append(title)
        .append("](")
        .append(IMG)
        .append("/")
        .append(png)
        .append(")\n\n");
  }

  static void caveats(StringBuilder md) {
    md.append("## How to read these numbers\n\n")
        .append(
            "- **The machine is shared and small.** 2 cores; the load averages above show how busy"
                + " it was (other builds ran at the same time). Millisecond results (hand-over) are"
                + " the most sensitive to this; re-run `benchmarks/run.sh --only handover` on a quiet"
                + " machine before quoting them.\n"
                + "- **Parallelism.** To fit the budget the implementations run side by side"
                + " (each on its own Leases and relays) in the hand-over, crash and start-up sections,"
                + " and the chaos groups run in parallel. The API-load windows run one implementation"
                + " at a time, since the API server's counters are global. Candidate JVMs run with"
                + " `-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1` (the same for all) to"
                + " keep 20+ JVMs affordable on 2 cores; the first hand-over trial of each pair of"
                + " JVMs is a warm-up and is not recorded.\n"
                + "- **p99 with few trials** is the maximum (nearest rank), i.e. one slow trial.\n"
                + "- **What \"believed it was leader\" means differs by design.** For this library the"
                + " validity window is what `isLeader()` answers and what bounds the leader's work;"
                + " for fabric8 and the official client the only signal an application gets is the"
                + " pair of callbacks. A SIGSTOPped process cannot act while frozen, but after SIGCONT"
                + " it continues as leader until its stop callback, so the frozen time is counted.\n"
                + "- **Out-of-order callbacks of the official client** are its known behaviour of"
                + " calling the stop hook of a candidate that never led when it is closed (kubernetes-"
                + "client/java #3600), which happens at the end of every trial for each follower.\n"
                + "- **fabric8's stop callback after close()** : fabric8 has no close that waits;"
                + " cancelling its future returns before `onStopLeading` runs.\n"
                + "- **Clock offset** is applied with libfaketime (`FAKETIME=±60s`,"
                + " `FAKETIME_DONT_FAKE_MONOTONIC=1`) to two of the three candidates' wall clocks only;"
                + " the recorded times are monotonic and unaffected.\n"
                + "- **API load** counts requests that reached the API server; a WATCH is counted when"
                + " it ends, so long-running watches barely show, and LIST is the watch's initial"
                + " list.\n"
                + "- **Heap at end above heap with electors** (this library ×1,000 in the 600 s run"
                + " of 2026-12-01: 46.5 → 90.6 MiB) is not this library's objects: a 300 s re-run"
                + " (`--footprint-plan ours:1000:300`) with `jcmd PID GC.class_histogram` at 50 s,"
                + " 250 s and 290 s counted exactly one `LeaderElector`, `Term`, `LeaseRecord` and"
                + " `KubernetesLeaseLock` per elector and 2,001 scheduled tasks each time; what grew"
                + " was `int[]` (5.6 → 13.4 MB, same number of arrays) outside the library, and that"
                + " run ended at 66.9 MiB from 65.6 MiB.\n"
                + "- **ours-cj's threads.** OkHttp runs each asynchronous call on a dispatcher thread"
                + " that blocks for the whole exchange (renamed `OkHttp https://…` while it runs the"
                + " call), so `leaderelection-client-java` holds one `leaderelection-okhttp-N` thread"
                + " per Lease call in flight, and keeps it 10 s after its last call; electors renewing"
                + " in phase add about as many threads as they have calls in flight at once. ours-cj"
                + " has no rows in the sections run before it was added (start-up, ha).\n"
                + "- **Renew latency with 1,000 electors** reflects that all of them start at the same"
                + " instant and, renewing every retryPeriod without jitter (as client-go), stay in"
                + " phase: the API server gets 1,000 PUTs in a burst every 2 s, not 500 spread over"
                + " each second.\n\n");
  }

  static String verdict(boolean met, String missedBy) {
    return met ? "**met**" : "**missed** (" + missedBy + ")";
  }

  static void targets(StringBuilder md, Path results) throws IOException {
    md.append("## Targets for this library\n\n")
        .append("Computed from the tables below; trial counts are those of this run.\n\n")
        .append("| target | measured | verdict |\n|---|---|---|\n");
    for (Impl ours : OURS) {
      targets(md, results, ours);
    }
    md.append("\n");
  }

  /** The target rows of one of this library's backends. */
  static void targets(StringBuilder md, Path results, Impl impl) throws IOException {
    String who = "**" + impl.id() + "**: ";
    List<Map<String, Object>> ho = where(rows(load(results, "handover")), "impl", impl.id());
    for (Profile p : Run.PROFILES) {
      Stats s = Stats.of(values(where(ho, "profile", p.name()), "latencyMs"));
      if (s.n() == 0) {
        continue;
      }
      md.append("| ")
          .append(who)
          .append("hand-over p50 ≤ 50 ms, p99 ≤ 200 ms (")
          .append(p.durations())
          .append(") | p50 ")
          .append(f(s.p50()))
          .append(" ms, p99 ")
          .append(f(s.p99()))
          .append(" ms (n=")
          .append(s.n())
          .append(") | ")
          .append(
              verdict(
                  s.p50() <= 50 && s.p99() <= 200,
                  "p50 by "
                      + f(Math.max(0, s.p50() - 50))
                      + " ms, p99 by "
                      + f(Math.max(0, s.p99() - 200))
                      + " ms"))
          .append(" |\n");
    }
    List<Map<String, Object>> cr = where(rows(load(results, "crash")), "impl", impl.id());
    for (Profile p : Run.PROFILES) {
      Stats s = Stats.of(values(where(cr, "profile", p.name()), "latencyMs"));
      if (s.n() == 0) {
        continue;
      }
      double bound = p.leaseSeconds() * 1000.0 + 250;
      md.append("| ")
          .append(who)
          .append("crash fail-over p99 ≤ leaseDuration + 250 ms (")
          .append(p.durations())
          .append(") | p99 ")
          .append(f(s.p99()))
          .append(" ms (n=")
          .append(s.n())
          .append(") | ")
          .append(verdict(s.p99() <= bound, "by " + f(s.p99() - bound) + " ms"))
          .append(" |\n");
    }
    List<Map<String, Object>> api = rows(load(results, "api"));
    for (Profile p : Run.PROFILES) {
      double ours = Double.NaN;
      double fab = Double.NaN;
      for (Map<String, Object> r : where(api, "profile", p.name())) {
        if (str(r, "impl").equals(impl.id())) {
          ours = num(r, "perMinuteTotal");
        } else if (str(r, "impl").equals("fabric8")) {
          fab = num(r, "perMinuteTotal");
        }
      }
      if (Double.isNaN(ours) || Double.isNaN(fab)) {
        continue;
      }
      md.append("| ")
          .append(who)
          .append("API requests/min ≤ ⅓ of fabric8's (")
          .append(p.durations())
          .append(") | ")
          .append(f(ours))
          .append(" vs ")
          .append(f(fab))
          .append(" (")
          .append(f(100 * ours / fab))
          .append(" %) | ")
          .append(verdict(ours <= fab / 3, "by " + f(ours - fab / 3) + " requests/min"))
          .append(" |\n");
    }
    List<Map<String, Object>> chaos = new ArrayList<>(rows(load(results, "chaos")));
    chaos.addAll(rows(load(results, "ha")));
    List<Map<String, Object>> oursChaos = where(chaos, "impl", impl.id());
    List<Map<String, Object>> part = where(oursChaos, "fault", "PARTITION");
    if (!part.isEmpty()) {
      Stats until = Stats.of(values(part, "victimValidUntilAfterFaultMs"));
      Stats late = Stats.of(values(part, "victimEndNoticedLateByMs"));
      boolean met = until.max() <= 3000 && late.max() <= 100;
      md.append("| ")
          .append(who)
          .append("partitioned leader stops ≤ renewDeadline after the start of its last successful")
          .append(" renewal | validUntil ≤ ")
          .append(f(until.max()))
          .append(" ms after the cut (renewDeadline 3,000 ms); term end reported ≤ ")
          .append(f(late.max()))
          .append(" ms after validUntil (n=")
          .append(until.n())
          .append(") | ")
          .append(verdict(met, "reported up to " + f(late.max()) + " ms after validUntil"))
          .append(" |\n");
    }
    if (!oursChaos.isEmpty()) {
      int withOverlap = countWhere(oursChaos, x -> num(x, "overlaps") > 0);
      md.append("| ")
          .append(who)
          .append("zero overlaps in every fault | ")
          .append(withOverlap)
          .append(" of ")
          .append(oursChaos.size())
          .append(" trials with an overlap | ")
          .append(verdict(withOverlap == 0, withOverlap + " trials"))
          .append(" |\n");
    }
    List<Map<String, Object>> fp =
        watched(where(rows(load(results, "footprint")), "impl", impl.id()));
    for (Map<String, Object> r : fp) {
      double n = num(r, "electors");
      if (n == 100) {
        double t = num(r, "threadsAdded");
        md.append("| ")
            .append(who)
            .append("100 electors add ≤ 4 platform threads | ")
            .append(f(t))
            .append(" | ")
            .append(verdict(t <= 4, "by " + f(t - 4) + " threads"))
            .append(" |\n");
      }
      if (n == 1000) {
        double sp = num(r, "spuriousLosses");
        double secs = num(r, "seconds");
        boolean full = secs >= 600;
        md.append("| ")
            .append(who)
            .append("1,000 electors, zero spurious losses over 10 min | ")
            .append(f(sp))
            .append(" spurious losses over ")
            .append(f(secs))
            .append(" s | ")
            .append(
                sp == 0 && full
                    ? "**met**"
                    : sp == 0
                        ? "not shown: only " + f(secs) + " s were run, 0 losses in that time"
                        : verdict(false, f(sp) + " losses"))
            .append(" |\n");
      }
    }
  }

  static void apiLoad(StringBuilder md, Path results, Path img) throws IOException {
    Map<String, Object> doc = load(results, "api");
    if (doc == null) {
      return;
    }
    List<Map<String, Object>> rows = rows(doc);
    md.append("## API load at steady state, 3 candidates\n\n")
        .append(
            "Counted at the API server: `apiserver_request_total{resource=\"leases\"}` scraped from"
                + " `/metrics` with the admin token before and after the window, per verb, minus the"
                + " baseline (the API server's own Lease renewals, measured first with no candidate)."
                + " A WATCH is counted when it ends, so long-running watches barely show (this"
                + " library's followers' watches end and are re-opened every 4 to 6 minutes; its"
                + " leader holds none). Where the requests come from: this library's leader renews"
                + " with one PUT per retryPeriod and no GET; its followers, told of each renewal by"
                + " their watch, send nothing until the record they last saw could have expired."
                + " fabric8's leader does a GET and a PATCH per retryPeriod, the official client's a GET and a PUT, and their followers a GET"
                + " every retryPeriod × [1, 2.2) each.\n\n")
        .append(meta(doc));
    TreeSet<String> verbs = new TreeSet<>();
    for (Map<String, Object> r : rows) {
      Object v = r.get("perMinuteByVerb");
      if (v instanceof Map<?, ?> m) {
        for (Object k : m.keySet()) {
          verbs.add(k.toString());
        }
      }
    }
    md.append("| implementation | profile | window s |");
    for (String v : verbs) {
      md.append(" ").append(v).append("/min |");
    }
    md.append(" total/min | vs fabric8 |\n|---|---|---|");
    md.append("---|".repeat(verbs.size())).append("---|---|\n");
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(800)
            .height(450)
            .title("Lease requests per minute, 3 candidates")
            .yAxisTitle("requests/min")
            .build();
    List<String> cats = new ArrayList<>();
    List<Impl> impls = present(rows);
    for (Impl i : impls) {
      cats.add(i.label());
    }
    for (Map<String, Object> r : rows) {
      String impl = label(str(r, "impl"));
      String prof = str(r, "profile");
      double total = num(r, "perMinuteTotal");
      double fabric = Double.NaN;
      for (Map<String, Object> o : where(where(rows, "impl", "fabric8"), "profile", prof)) {
        fabric = num(o, "perMinuteTotal");
      }
      md.append("| ")
          .append(impl)
          .append(" | ")
          .append(prof)
          .append(" | ")
          .append(f(num(r, "windowSeconds")))
          .append(" |");
      Object v = r.get("perMinuteByVerb");
      for (String verb : verbs) {
        double x = Double.NaN;
        if (v instanceof Map<?, ?> m && m.get(verb) instanceof Number n) {
          x = n.doubleValue();
        }
        md.append(" ").append(f(x)).append(" |");
      }
      md.append(" ")
          .append(f(total))
          .append(" | ")
          .append(prof.isEmpty() || Double.isNaN(fabric) ? "" : f(100 * total / fabric) + " %")
          .append(" |\n");
    }
    for (Profile p : Run.PROFILES) {
      List<Double> ys = new ArrayList<>();
      for (Impl i : impls) {
        double y = 0;
        for (Map<String, Object> o : where(where(rows, "impl", i.id()), "profile", p.name())) {
          y = num(o, "perMinuteTotal");
        }
        ys.add(Double.isNaN(y) ? 0 : y);
      }
      chart.addSeries(p.name() + " " + p.durations(), cats, ys);
    }
    BitmapEncoder.saveBitmap(
        chart, img.resolve("api.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    md.append("\n![API load](").append(IMG).append("/api.png)\n\n");
  }

  /** {@return the implementation of a footprint row, marked if it ran without a watch} */
  static String fpLabel(Map<String, Object> r) {
    return label(str(r, "impl")) + (Boolean.FALSE.equals(r.get("watch")) ? " (no watch)" : "");
  }

  /** The harness's latency buffer: {@link Footprint#MAX_SAMPLES} longs. */
  static final double SAMPLE_BUFFER_KIB = Footprint.MAX_SAMPLES * (double) Long.BYTES / 1024.0;

  /** {@return the footprint rows of this library's default lock, without the no-watch runs} */
  static List<Map<String, Object>> watched(List<Map<String, Object>> rows) {
    List<Map<String, Object>> r = new ArrayList<>(rows);
    r.removeIf(x -> Boolean.FALSE.equals(x.get("watch")));
    return r;
  }

  /**
   * {@return heap per elector; runs that allocated the harness's latency buffer after the baseline
   * (before 2026-12-01T21:30Z) have it subtracted}
   */
  static double heapPerElectorKiB(Map<String, Object> r) {
    double perElector = num(r, "heapPerElectorKiB");
    if (Boolean.TRUE.equals(r.get("baselineHoldsSamples"))) {
      return perElector;
    }
    return perElector - SAMPLE_BUFFER_KIB / num(r, "electors");
  }

  static void footprint(StringBuilder md, Path results, Path img) throws IOException {
    Map<String, Object> doc = load(results, "footprint");
    if (doc == null) {
      return;
    }
    List<Map<String, Object>> rows = rows(doc);
    md.append("## Footprint: many electors in one JVM\n\n")
        .append(
            "N electors in one JVM (`-Xmx2g -XX:+UseSerialGC`), each on its own Lease, against a"
                + " fresh local API server, default profile 15/10/2 s. Threads: platform threads"
                + " (ThreadMXBean) with the client already in use, before and 10 s after starting the"
                + " electors; heap: used heap after `System.gc()`. Renew latency: this library's"
                + " listener (`onRenewed`), the others expose none. A spurious loss is a term that"
                + " ended other than by close. CPU: the electors' JVM over the measuring window"
                + " (`getProcessCpuTime`), and the API server with etcd over the child's whole life,"
                + " start-up and close included; 1.00 is one core of the machine's two. Every elector"
                + " leads its own Lease, so this library's electors hold no watch (only candidates"
                + " watch). The others' 1 and 100 electors run at most 120 s: they are there for"
                + " threads and heap, which settle within the first minute. Heap per elector is"
                + " (heap with electors − heap before) / N, less the harness's own 15.3 MiB latency"
                + " buffer where a run allocated it after the baseline. Heap at end: after"
                + " `System.gc()` at the end of the window, electors still running.\n\n")
        .append(meta(doc));
    md.append(
        "| implementation | electors | seconds | all acquired | threads before | threads added"
            + " | heap before MiB | heap per elector KiB | heap with electors MiB"
            + " | heap at end MiB | renew p50 ms | renew p99 ms"
            + " | renew max ms | leading (min) | spurious losses | CPU cores, electors"
            + " | CPU cores, apiserver + etcd |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(800)
            .height(450)
            .title("Platform threads added by N electors")
            .yAxisTitle("threads")
            .build();
    List<String> cats = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      md.append("| ")
          .append(fpLabel(r))
          .append(" | ")
          .append(f(num(r, "electors")))
          .append(" | ")
          .append(f(num(r, "seconds")))
          .append(" | ")
          .append(str(r, "acquiredAll"))
          .append(" | ")
          .append(f(num(r, "threadsBaseline")))
          .append(" | ")
          .append(f(num(r, "threadsAdded")))
          .append(" | ")
          .append(f(num(r, "heapBaselineMiB")))
          .append(" | ")
          .append(f(heapPerElectorKiB(r)))
          .append(" | ")
          .append(f(num(r, "heapWithElectorsMiB")))
          .append(" | ")
          .append(f(num(r, "heapAtEndMiB")))
          .append(" | ")
          .append(f(num(r, "renewP50Ms")))
          .append(" | ")
          .append(f(num(r, "renewP99Ms")))
          .append(" | ")
          .append(f(num(r, "renewMaxMs")))
          .append(" | ")
          .append(f(num(r, "leadingMin")))
          .append(" | ")
          .append(f(num(r, "spuriousLosses")))
          .append(str(r, "error"))
          .append(" | ")
          .append(cores(num(r, "cpuCores")))
          .append(" | ")
          .append(cores(num(r, "serverCpuCores")))
          .append(" |\n");
      cats.add(fpLabel(r) + " ×" + f(num(r, "electors")));
      double t = num(r, "threadsAdded");
      ys.add(Double.isNaN(t) ? 0 : t);
    }
    md.append(
        "\n\"heap per elector\" of a single run includes the classes and caches the first elector"
            + " loads; the marginal cost between runs is the better per-elector figure:\n\n");
    for (Impl i : present(rows)) {
      List<Map<String, Object>> r = watched(where(rows, "impl", i.id()));
      for (int a = 0; a + 1 < r.size(); a++) {
        Map<String, Object> x = r.get(a);
        Map<String, Object> y = r.get(a + 1);
        double dn = num(y, "electors") - num(x, "electors");
        if (dn <= 0) {
          continue;
        }
        md.append("- ")
            .append(i.label())
            .append(", ")
            .append(f(num(x, "electors")))
            .append(" → ")
            .append(f(num(y, "electors")))
            .append(" electors: ")
            .append(f((num(y, "heapWithElectorsMiB") - num(x, "heapWithElectorsMiB")) * 1024 / dn))
            .append(" KiB of heap and ")
            .append(
                String.format(
                    Locale.ROOT,
                    "%.2f",
                    (num(y, "threadsWithElectors") - num(x, "threadsWithElectors")) / dn))
            .append(" platform threads per additional elector\n");
      }
    }
    StringBuilder trouble = new StringBuilder();
    for (Map<String, Object> r : rows) {
      String who = fpLabel(r) + " ×" + f(num(r, "electors"));
      if (r.get("failedCalls") instanceof Map<?, ?> failed && !failed.isEmpty()) {
        List<String> parts = new ArrayList<>();
        failed.forEach(
            (k, v) -> parts.add("`" + k + "` " + (v instanceof Number n ? f(n.doubleValue()) : v)));
        trouble
            .append("- ")
            .append(who)
            .append(", failed calls: ")
            .append(String.join(", ", parts))
            .append("\n");
      }
      if (r.get("losses") instanceof List<?> losses) {
        for (Object o : losses) {
          if (o instanceof Map<?, ?> l) {
            trouble
                .append("- ")
                .append(who)
                .append(", spurious loss: ")
                .append(l.get("elector"))
                .append(" ")
                .append(l.get("reason"))
                .append(" at ")
                .append(l.get("atSeconds") instanceof Number n ? f(n.doubleValue()) : "?")
                .append(" s into the run, after a term of ")
                .append(l.get("termSeconds") instanceof Number n ? f(n.doubleValue()) : "?")
                .append(" s\n");
          }
        }
      }
    }
    if (trouble.length() > 0) {
      md.append(
              "\nWhat went wrong (this library's listener: calls that failed, by operation and"
                  + " reason, over the whole run; every spurious loss):\n\n")
          .append(trouble);
    }
    md.append("\nWhich threads were added (names with digits as N):\n\n");
    for (Map<String, Object> r : rows) {
      if (r.get("threadsAddedByName") instanceof Map<?, ?> byName && !byName.isEmpty()) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> e : byName.entrySet()) {
          Object v = e.getValue();
          parts.add("`" + e.getKey() + "` " + (v instanceof Number n ? f(n.doubleValue()) : v));
        }
        md.append("- ")
            .append(fpLabel(r))
            .append(" ×")
            .append(f(num(r, "electors")))
            .append(": ")
            .append(String.join(", ", parts))
            .append("\n");
      }
    }
    md.append("\n");
    if (!cats.isEmpty()) {
      chart.addSeries("threads added", cats, ys);
      BitmapEncoder.saveBitmap(
          chart, img.resolve("footprint.png").toString(), BitmapEncoder.BitmapFormat.PNG);
      md.append("\n![Footprint](").append(IMG).append("/footprint.png)\n\n");
    }
  }

  static void chaos(StringBuilder md, Path results, Path img) throws IOException {
    Map<String, Object> single = load(results, "chaos");
    Map<String, Object> ha = load(results, "ha");
    if (single == null && ha == null) {
      return;
    }
    List<Map<String, Object>> rows = new ArrayList<>(rows(single));
    rows.addAll(rows(ha));
    md.append("## Chaos and safety\n\n")
        .append(
            "Each trial: three candidates of one implementation start on a fresh Lease (fast profile"
                + " 4/3/1 s), a leader emerges, the fault is injected and healed, the harness waits"
                + " for a leader again, then all candidates close. The checker compares what every"
                + " candidate believed on the shared monotonic clock: for this library its validity"
                + " window `[validFrom, validUntil]` from the listener; for the others from the start"
                + " callback to the stop callback. A belief with no reported end ends when the process"
                + " was killed or its `close()` returned. **Overlap**: two candidates believed at"
                + " the same time (counted per pair of terms). **Gap**: a leaderless span after the"
                + " first term (most faults cause one). **Out of order**: a stop without a start, a"
                + " second start, or a callback after `close()` returned. Global faults (apiserver,"
                + " etcd, HA) hit every group at once, so one injection makes one trial per group.\n\n")
        .append(meta(single))
        .append(meta(ha));
    md.append("### Totals per implementation\n\n");
    md.append(
        "| implementation | trials | trials with overlap | overlapping pairs | max overlap ms | trials with no leader at end | out-of-order callbacks | errors |\n|---|---|---|---|---|---|---|---|\n");
    List<Impl> impls = present(rows);
    for (Impl i : impls) {
      List<Map<String, Object>> r = where(rows, "impl", i.id());
      Stats ov = Stats.of(values(r, "maxOverlapMs"));
      md.append("| ")
          .append(i.label())
          .append(" | ")
          .append(r.size())
          .append(" | ")
          .append(countWhere(r, x -> num(x, "overlaps") > 0))
          .append(" | ")
          .append(sumInt(r, "overlaps"))
          .append(" | ")
          .append(f(ov.max()))
          .append(" | ")
          .append(countWhere(r, x -> Boolean.FALSE.equals(x.get("leaderAtEnd"))))
          .append(" | ")
          .append(sumInt(r, "outOfOrder"))
          .append(" | ")
          .append(countWhere(r, x -> x.containsKey("error")))
          .append(" |\n");
    }
    md.append("\n### Per fault\n\n");
    md.append(
        "| fault | implementation | trials | trials with overlap | max overlap ms | gaps | max gap ms | no leader at end | out of order | recovery p50 ms | recovery max ms | victim stop after fault, max ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(1000)
            .height(500)
            .title("Chaos trials with two leaders at once")
            .yAxisTitle("trials with overlap")
            .build();
    chart.getStyler().setXAxisLabelRotation(30);
    List<String> cats = new ArrayList<>();
    Map<Impl, List<Double>> ys = new LinkedHashMap<>();
    for (Impl i : impls) {
      ys.put(i, new ArrayList<>());
    }
    for (Harness.Fault fault : Harness.Fault.values()) {
      List<Map<String, Object>> rf = where(rows, "fault", fault.name());
      if (rf.isEmpty()) {
        continue;
      }
      cats.add(fault.name());
      for (Impl i : impls) {
        List<Map<String, Object>> r = where(rf, "impl", i.id());
        Stats rec = Stats.of(values(r, "recoveryMs"));
        Stats ov = Stats.of(values(r, "maxOverlapMs"));
        Stats gap = Stats.of(values(r, "maxGapMs"));
        Stats vs = Stats.of(values(r, "victimStopAfterFaultMs"));
        int withOverlap = countWhere(r, x -> num(x, "overlaps") > 0);
        Objects.requireNonNull(ys.get(i)).add((double) withOverlap);
        if (r.isEmpty()) {
          continue; // e.g. a fault of the ha section, run before this implementation was added
        }
        md.append("| ")
            .append(fault.label)
            .append(" | ")
            .append(i.id())
            .append(" | ")
            .append(r.size())
            .append(" | ")
            .append(withOverlap)
            .append(" | ")
            .append(f(ov.max()))
            .append(" | ")
            .append(sumInt(r, "gaps"))
            .append(" | ")
            .append(f(gap.max()))
            .append(" | ")
            .append(countWhere(r, x -> Boolean.FALSE.equals(x.get("leaderAtEnd"))))
            .append(" | ")
            .append(sumInt(r, "outOfOrder"))
            .append(" | ")
            .append(f(rec.p50()))
            .append(" | ")
            .append(f(rec.max()))
            .append(" | ")
            .append(f(vs.max()))
            .append(" |\n");
      }
    }
    for (Map.Entry<Impl, List<Double>> e : ys.entrySet()) {
      chart.addSeries(e.getKey().label(), cats, e.getValue());
    }
    if (!cats.isEmpty()) {
      BitmapEncoder.saveBitmap(
          chart, img.resolve("chaos.png").toString(), BitmapEncoder.BitmapFormat.PNG);
      md.append("\n![Chaos](").append(IMG).append("/chaos.png)\n\n");
    }
    // step-down of the victim, this library
    md.append("### When the old leader stopped believing\n\n")
        .append(
            "For this library, `validUntil` of the victim's term measured from the fault (the last"
                + " successful renewal started before the fault, so this must be ≤ renewDeadline ="
                + " 3,000 ms), and how late after `validUntil` the elector reported the end (a frozen"
                + " process reports it only when it resumes; `isLeader()` is false from `validUntil`"
                + " on regardless). For the others, the victim's stop callback measured from the"
                + " fault.\n\n");
    md.append(
        "| fault | ours: validUntil after fault p50 / max ms | ours: end reported after validUntil"
            + " p50 / max ms | ours-cj: validUntil after fault p50 / max ms | ours-cj: end reported"
            + " after validUntil p50 / max ms | fabric8: stop callback after fault p50 / max ms"
            + " | official: stop callback after fault p50 / max ms |\n|---|---|---|---|---|---|---|\n");
    for (Harness.Fault fault : Harness.Fault.values()) {
      if (fault == Harness.Fault.KILL || fault == Harness.Fault.CLOCK) {
        continue;
      }
      List<Map<String, Object>> rf = where(rows, "fault", fault.name());
      if (rf.isEmpty()) {
        continue;
      }
      Stats until = Stats.of(values(where(rf, "impl", "ours"), "victimValidUntilAfterFaultMs"));
      Stats late = Stats.of(values(where(rf, "impl", "ours"), "victimEndNoticedLateByMs"));
      Stats untilCj =
          Stats.of(values(where(rf, "impl", "ours-cj"), "victimValidUntilAfterFaultMs"));
      Stats lateCj = Stats.of(values(where(rf, "impl", "ours-cj"), "victimEndNoticedLateByMs"));
      Stats fab = Stats.of(values(where(rf, "impl", "fabric8"), "victimStopAfterFaultMs"));
      Stats off = Stats.of(values(where(rf, "impl", "official"), "victimStopAfterFaultMs"));
      md.append("| ")
          .append(fault.label)
          .append(" | ")
          .append(f(until.p50()))
          .append(" / ")
          .append(f(until.max()))
          .append(" | ")
          .append(f(late.p50()))
          .append(" / ")
          .append(f(late.max()))
          .append(" | ")
          .append(f(untilCj.p50()))
          .append(" / ")
          .append(f(untilCj.max()))
          .append(" | ")
          .append(f(lateCj.p50()))
          .append(" / ")
          .append(f(lateCj.max()))
          .append(" | ")
          .append(f(fab.p50()))
          .append(" / ")
          .append(f(fab.max()))
          .append(" | ")
          .append(f(off.p50()))
          .append(" / ")
          .append(f(off.max()))
          .append(" |\n");
    }
    md.append("\n(A victim that kept renewing through the fault has no value.)\n\n");
    // out-of-order details: the same kind in every lane and trial counts once, with how often
    Map<String, Integer> details = new LinkedHashMap<>();
    for (Map<String, Object> r : rows) {
      Object d = r.get("outOfOrderDetails");
      if (d instanceof List<?> l) {
        for (Object x : l) {
          String s = str(r, "impl") + " / " + str(r, "fault") + ": " + x;
          details.merge(s.replaceAll("-[a-z0-9]+-l\\d-", "-"), 1, Integer::sum);
        }
      }
    }
    if (!details.isEmpty()) {
      md.append("Kinds of out-of-order callbacks seen (distinct, with how many times):\n\n");
      details.forEach((s, k) -> md.append("- ").append(s).append(" (").append(k).append(")\n"));
      md.append("\n");
    }
  }
}
