package dev.leaderelection.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the machine is, for the report. */
final class Machine {
  private Machine() {}

  static Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nproc", run("nproc").trim());
    String model = "";
    for (String l : run("lscpu").split("\n", -1)) {
      if (l.startsWith("Model name:")) {
        model = l.substring("Model name:".length()).trim();
      }
    }
    m.put("cpuModel", model);
    m.put("memTotal", firstLine(Path.of("/proc/meminfo")));
    m.put(
        "jdk",
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")");
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("loadBefore", loadavg());
    return m;
  }

  static String loadavg() {
    return firstLine(Path.of("/proc/loadavg"));
  }

  private static String firstLine(Path p) {
    try {
      List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
      return lines.isEmpty() ? "" : lines.get(0).trim();
    } catch (IOException e) {
      return "";
    }
  }

  static String run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** Runs a script and returns its {@code KEY=VALUE} stdout lines. */
  static Map<String, String> keyValues(String script) {
    try {
      Process p = new ProcessBuilder(script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException(script + " failed");
      }
      Map<String, String> m = new LinkedHashMap<>();
      for (String l : out.split("\n", -1)) {
        int eq = l.indexOf('=');
        if (eq > 0) {
          m.put(l.substring(0, eq), l.substring(eq + 1).trim());
        }
      }
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
