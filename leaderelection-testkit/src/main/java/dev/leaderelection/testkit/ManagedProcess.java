package dev.leaderelection.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process (etcd or kube-apiserver) started through a small bash watchdog, so that it dies
 * with this JVM even when the JVM is killed with SIGKILL and no shutdown hook runs.
 *
 * <p>The watchdog starts the child in the background, writes its pid to a file, and polls this
 * JVM's pid; when the JVM is gone it kills the child with SIGKILL. When the child exits the
 * watchdog exits too. Signals for the child (stop, pause, resume) go to the child's pid directly.
 */
final class ManagedProcess {

  /**
   * {@code $1}: the JVM's pid; {@code $2}: the pid file; the rest: the command. The watcher
   * sub-shell exits as soon as the child is gone; the main shell reaps the child and kills the
   * watcher, so nothing is left behind in either order.
   */
  private static final String WATCHDOG =
      """
      jvm=$1; pidfile=$2; shift 2
      "$@" </dev/null &
      child=$!
      echo "$child" >"$pidfile.tmp" && mv -f "$pidfile.tmp" "$pidfile"
      (
        while kill -0 "$jvm" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.3; done
        if ! kill -0 "$jvm" 2>/dev/null; then
          kill -CONT "$child" 2>/dev/null; kill -KILL "$child" 2>/dev/null
        fi
      ) </dev/null >/dev/null 2>&1 &
      watcher=$!
      wait "$child"
      rc=$?
      kill "$watcher" 2>/dev/null
      exit $rc
      """;

  private final String name;
  private final Process wrapper;
  private final ProcessHandle child;
  private final Path log;

  private ManagedProcess(String name, Process wrapper, ProcessHandle child, Path log) {
    this.name = name;
    this.wrapper = wrapper;
    this.child = child;
    this.log = log;
  }

  /**
   * Starts {@code command} with its output appended to {@code log}.
   *
   * @param pidFile where the child's pid is kept, so that a later run can clean up after a crash
   */
  static ManagedProcess start(String name, List<String> command, Path log, Path pidFile)
      throws IOException {
    Files.deleteIfExists(pidFile);
    List<String> cmd = new ArrayList<>();
    cmd.add("bash");
    cmd.add("-c");
    cmd.add(WATCHDOG);
    cmd.add("watchdog-" + name);
    cmd.add(Long.toString(ProcessHandle.current().pid()));
    cmd.add(pidFile.toString());
    cmd.addAll(command);
    Process wrapper =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Optional<Long> pid = readPid(pidFile);
      if (pid.isPresent()) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid.get());
        if (handle.isPresent()) {
          return new ManagedProcess(name, wrapper, handle.get(), log);
        }
        // Exited already: report it like any early exit.
        throw new IOException(name + " exited at once; last lines of " + log + ":\n" + tail(log));
      }
      if (!wrapper.isAlive() || System.nanoTime() > deadline) {
        wrapper.destroyForcibly();
        throw new IOException(
            "could not start "
                + name
                + " (no pid written); last lines of "
                + log
                + ":\n"
                + tail(log));
      }
      sleep(10);
    }
  }

  /** Kills a process left behind by an earlier run whose pid is in {@code pidFile}. */
  static void killStale(Path pidFile, String binaryName) {
    Optional<Long> pid = readPid(pidFile);
    if (pid.isEmpty()) {
      return;
    }
    ProcessHandle.of(pid.get())
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.info().command().map(c -> c.endsWith("/" + binaryName)).orElse(false))
        .ifPresent(
            h -> {
              System.err.println(
                  "[testkit] killing "
                      + binaryName
                      + " (pid "
                      + h.pid()
                      + ") left by an earlier run");
              signal(h.pid(), "CONT");
              h.destroyForcibly();
              waitFor(h, Duration.ofSeconds(5));
            });
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      // best effort
    }
  }

  private static Optional<Long> readPid(Path pidFile) {
    try {
      String s = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
      return s.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(s));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return child.pid();
  }

  boolean isAlive() {
    return child.isAlive();
  }

  Path log() {
    return log;
  }

  /** Freezes the process (SIGSTOP): its sockets stay open but it answers nothing. */
  void pause() {
    signal(child.pid(), "STOP");
    awaitStopped(child.pid());
  }

  /**
   * Waits (up to 5 s) until every thread of {@code pid} is stopped: {@code kill} returns once the
   * signal is queued, and a request sent in between would still be answered.
   */
  private static void awaitStopped(long pid) {
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      try (var dirs = Files.list(tasks)) {
        for (Path t : (Iterable<Path>) dirs::iterator) {
          String stat = Files.readString(t.resolve("stat"));
          // the state follows the parenthesised command name: "pid (comm) S ..."
          char state = stat.charAt(stat.lastIndexOf(')') + 2);
          all &= state == 'T' || state == 't';
        }
      } catch (IOException | RuntimeException e) {
        return; // no /proc (not Linux) or the process is gone: nothing to wait for
      }
      if (all) {
        return;
      }
      Thread.onSpinWait();
    }
  }

  /** Resumes a frozen process (SIGCONT). */
  void resume() {
    signal(child.pid(), "CONT");
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL after {@code grace}. Also resumes it first, since a
   * stopped process does not act on SIGTERM.
   */
  void stop(Duration grace) {
    if (child.isAlive()) {
      child.destroy();
      signal(child.pid(), "CONT");
      if (!waitFor(child, grace)) {
        child.destroyForcibly();
        waitFor(child, Duration.ofSeconds(10));
      }
    }
    try {
      if (!wrapper.waitFor(5, TimeUnit.SECONDS)) {
        wrapper.descendants().forEach(ProcessHandle::destroyForcibly);
        wrapper.destroyForcibly();
        wrapper.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the process and its watchdog at once, without waiting. For shutdown hooks. */
  void kill() {
    signal(child.pid(), "CONT");
    child.destroyForcibly();
    wrapper.descendants().forEach(ProcessHandle::destroyForcibly);
    wrapper.destroyForcibly();
  }

  private static boolean waitFor(ProcessHandle h, Duration timeout) {
    try {
      h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return !h.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static void signal(long pid, String signal) {
    try {
      Process p =
          new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill -" + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@return the last lines of a log file, indented, for error messages} */
  static String tail(Path log) {
    try {
      List<String> lines =
          new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
      int from = Math.max(0, lines.size() - 40);
      StringBuilder sb = new StringBuilder();
      for (String line : lines.subList(from, lines.size())) {
        sb.append("    ").append(line).append('\n');
      }
      return sb.toString();
    } catch (IOException e) {
      return "    (cannot read " + log + ": " + e + ")\n";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
