package dev.leaderelection.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Finds the kube-apiserver and etcd binaries, building them with {@code controlplane/build.sh} (a
 * copy embedded in this jar) the first time on a machine.
 */
final class ControlPlaneBinaries {

  /** Absolute paths of the binaries. */
  record Paths3(Path kubeApiserver, Path etcd, @Nullable Path kubectl) {}

  private static final String RESOURCE_DIR = "controlplane";
  private static @Nullable Paths3 cached;

  private ControlPlaneBinaries() {}

  /**
   * The binaries: from the environment variables {@code KUBE_APISERVER} and {@code ETCD} if both
   * are set (and {@code KUBECTL}, if set), else from {@code controlplane/build.sh} (which builds
   * them if missing; that needs Go).
   *
   * @throws IllegalStateException if they cannot be had, with what to install
   */
  static synchronized Paths3 ensure() {
    Paths3 p = cached;
    if (p == null) {
      p = locate();
      cached = p;
    }
    return p;
  }

  private static Paths3 locate() {
    String api = System.getenv("KUBE_APISERVER");
    String etcd = System.getenv("ETCD");
    if (api != null && !api.isBlank() && etcd != null && !etcd.isBlank()) {
      Path a = Paths.get(api);
      Path e = Paths.get(etcd);
      if (!Files.isExecutable(a) || !Files.isExecutable(e)) {
        throw new IllegalStateException(
            "KUBE_APISERVER=" + api + " and ETCD=" + etcd + " must both be executable files");
      }
      String kubectl = System.getenv("KUBECTL");
      return new Paths3(
          a, e, kubectl == null || kubectl.isBlank() ? null : Paths.get(kubectl).toAbsolutePath());
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("leaderelection-controlplane-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      extractScripts(dir);
      return runBuild(dir, Map.of());
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * Runs {@code dir/build.sh} and parses the paths it prints.
   *
   * @param env environment variables to set for the script (for tests)
   */
  static Paths3 runBuild(Path dir, Map<String, String> env) {
    Path script = dir.resolve("build.sh");
    System.err.println(
        "[testkit] making sure kube-apiserver and etcd are built (controlplane/build.sh; the first"
            + " run on a machine takes several minutes)");
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
      pb.environment().putAll(env);
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run bash to build the control plane: " + e, e);
    }
    Deque<String> lastLines = new ArrayDeque<>();
    Thread stderr =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  System.err.println(line);
                  synchronized (lastLines) {
                    lastLines.addLast(line);
                    if (lastLines.size() > 30) {
                      lastLines.removeFirst();
                    }
                  }
                }
              } catch (IOException e) {
                // the process went away; its exit code tells the rest
              }
            },
            "controlplane-build-stderr");
    stderr.setDaemon(true);
    stderr.start();
    String out;
    int rc;
    try {
      p.getOutputStream().close();
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      rc = p.waitFor();
      stderr.join(5_000);
    } catch (IOException e) {
      p.destroyForcibly();
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the control plane", e);
    }
    String said;
    synchronized (lastLines) {
      said = String.join("\n    ", lastLines);
    }
    if (rc == 2) {
      throw new IllegalStateException(
          "The integration tests need a real kube-apiserver and etcd, built from source with Go:"
              + " install Go >= 1.26 (https://go.dev/dl/) and put `go` on the PATH, then run the"
              + " tests again (or set KUBE_APISERVER and ETCD to existing binaries)."
              + " controlplane/build.sh said:\n    "
              + said);
    }
    if (rc != 0) {
      throw new IllegalStateException(
          "controlplane/build.sh failed with exit code " + rc + "; its last lines:\n    " + said);
    }
    Map<String, String> vars = new HashMap<>();
    for (String line : out.lines().toList()) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        vars.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    String api = vars.get("KUBE_APISERVER");
    String etcd = vars.get("ETCD");
    if (api == null || etcd == null) {
      throw new IllegalStateException(
          "controlplane/build.sh printed no KUBE_APISERVER/ETCD paths; stdout was:\n" + out);
    }
    String kubectl = vars.get("KUBECTL");
    return new Paths3(Paths.get(api), Paths.get(etcd), kubectl == null ? null : Paths.get(kubectl));
  }

  /** Copies the embedded {@code controlplane/} directory (scripts and templates) to {@code dir}. */
  static void extractScripts(Path dir) {
    URL url = ControlPlaneBinaries.class.getClassLoader().getResource(RESOURCE_DIR + "/build.sh");
    if (url == null) {
      throw new IllegalStateException(
          "controlplane/build.sh is not on the classpath: the testkit jar was built without it");
    }
    try {
      if ("file".equals(url.getProtocol())) {
        Path src = Paths.get(url.toURI()).toAbsolutePath().resolveSibling(".").normalize();
        try (Stream<Path> files = Files.walk(src)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Path target = dir.resolve(src.relativize(f).toString());
            if (Files.isDirectory(f)) {
              Files.createDirectories(target);
            } else {
              Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      } else {
        URLConnection c = url.openConnection();
        if (!(c instanceof JarURLConnection jc)) {
          throw new IllegalStateException("cannot read the embedded scripts from " + url);
        }
        jc.setUseCaches(false);
        try (JarFile jar = jc.getJarFile()) {
          for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
            JarEntry entry = e.nextElement();
            String n = entry.getName();
            if (!n.startsWith(RESOURCE_DIR + "/") || entry.isDirectory()) {
              continue;
            }
            Path target = dir.resolve(n.substring(RESOURCE_DIR.length() + 1)).normalize();
            if (!target.startsWith(dir)) {
              continue;
            }
            Files.createDirectories(target.resolveSibling("."));
            try (InputStream in = jar.getInputStream(entry)) {
              Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> all = files.sorted(Comparator.reverseOrder()).toList();
      for (Path f : all) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      // a temp directory; best effort
    }
  }
}
