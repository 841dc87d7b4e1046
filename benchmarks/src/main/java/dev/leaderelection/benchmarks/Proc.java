package dev.leaderelection.benchmarks;

import dev.leaderelection.testkit.TcpRelay;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/** The harness's handle on one candidate process and its TCP relay. */
final class Proc {

  /** One line a candidate printed. */
  record Line(String kind, long at, String lease, List<String> rest) {}

  final Impl impl;
  final String id;
  final TcpRelay relay;
  private final List<String> command;
  private final Path logDir;
  private final List<String> env;
  private final List<Line> lines = new ArrayList<>();
  private @Nullable Process process;
  private @Nullable OutputStream stdin;
  private long killedAt = -1;
  private long pid = -1;

  Proc(Impl impl, String id, TcpRelay relay, List<String> command, List<String> env, Path logDir) {
    this.impl = impl;
    this.id = id;
    this.relay = relay;
    this.command = command;
    this.env = env;
    this.logDir = logDir;
  }

  /** Starts (or restarts) the JVM and waits for its HELLO. */
  synchronized void spawn() {
    ProcessBuilder pb = new ProcessBuilder(command);
    for (String kv : env) {
      int eq = kv.indexOf('=');
      pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    pb.redirectError(ProcessBuilder.Redirect.appendTo(logDir.resolve(id + ".stderr.log").toFile()));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process = p;
    stdin = p.getOutputStream();
    pid = p.pid();
    killedAt = -1;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                  String[] w = s.split(" ", -1);
                  if (w.length < 3) {
                    continue;
                  }
                  long at;
                  try {
                    at = Long.parseLong(w[1]);
                  } catch (NumberFormatException e) {
                    continue;
                  }
                  List<String> rest = new ArrayList<>();
                  for (int i = 3; i < w.length; i++) {
                    rest.add(w[i]);
                  }
                  synchronized (Proc.this) {
                    lines.add(new Line(w[0], at, w[2], List.copyOf(rest)));
                    Proc.this.notifyAll();
                  }
                }
              } catch (IOException e) {
                // process ended
              }
            },
            "reader-" + id);
    reader.setDaemon(true);
    reader.start();
    int from = lines.size();
    if (await(l -> l.kind().equals("HELLO"), from, 180_000).isEmpty()) {
      throw new IllegalStateException(id + " did not start; see " + logDir);
    }
  }

  synchronized boolean alive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  synchronized int mark() {
    return lines.size();
  }

  synchronized void send(String cmd) {
    OutputStream o = stdin;
    if (o == null) {
      return;
    }
    try {
      o.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
    } catch (IOException e) {
      // dead process: ignore
    }
  }

  /**
   * Waits for a line at or after index {@code from} that matches.
   *
   * @return the line, or empty after the timeout
   */
  synchronized Optional<Line> await(Predicate<Line> p, int from, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    int i = from;
    while (true) {
      for (; i < lines.size(); i++) {
        if (p.test(lines.get(i))) {
          return Optional.of(lines.get(i));
        }
      }
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return Optional.empty();
      }
      try {
        wait(Math.min(left, 200));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
  }

  synchronized List<Line> linesFor(String lease) {
    List<Line> out = new ArrayList<>();
    for (Line l : lines) {
      if (l.lease().equals(lease)) {
        out.add(l);
      }
    }
    return out;
  }

  /** Whether the last start/stop callback for this lease is a start (it believes it leads). */
  synchronized boolean leads(String lease) {
    boolean leads = false;
    for (Line l : lines) {
      if (l.lease().equals(lease)) {
        if (l.kind().equals("CB_START")) {
          leads = true;
        } else if (l.kind().equals("CB_STOP")) {
          leads = false;
        }
      }
    }
    return leads;
  }

  /** SIGKILL; returns the monotonic time just before the signal. */
  synchronized long kill() {
    Process p = process;
    long t = System.nanoTime();
    if (p != null) {
      p.destroyForcibly();
      try {
        p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    killedAt = t;
    stdin = null;
    return t;
  }

  synchronized long killedAt() {
    return killedAt;
  }

  long signal(String sig) {
    long t = System.nanoTime();
    try {
      Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start();
      k.waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return t;
  }

  void exit() {
    send("exit");
    Process p;
    synchronized (this) {
      p = process;
    }
    if (p != null) {
      try {
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
