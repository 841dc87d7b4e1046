package dev.leaderelection.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * client-go's own leader election as a process, for interop tests: {@code interop/clientgo} built
 * with the Go module proxy by its {@code build.sh} (cached across runs), started as a candidate
 * against a {@link LocalControlPlane}. A test that needs it and cannot build it fails, naming why.
 */
public final class ClientGoProbe {
  private static final Pattern EVENT =
      Pattern.compile("EVENT t=(\\d+) id=(\\S+) event=(\\S+)(?: leader=(\\S+))?");

  private final Path binary;

  private ClientGoProbe(Path binary) {
    this.binary = binary;
  }

  /**
   * Builds the probe (or finds it built).
   *
   * @param repositoryRoot the project's root directory (holding {@code interop/clientgo})
   * @return the probe
   * @throws IllegalStateException if it cannot be built (for example Go is missing)
   */
  public static ClientGoProbe build(Path repositoryRoot) {
    Path script = repositoryRoot.resolve("interop/clientgo/build.sh").toAbsolutePath().normalize();
    try {
      Process p =
          new ProcessBuilder("bash", script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      int code = p.waitFor();
      if (code != 0) {
        throw new IllegalStateException(
            "Could not build the client-go interop probe with "
                + script
                + " (exit "
                + code
                + (code == 2 ? ": install Go >= 1.26" : "")
                + ")");
      }
      Path binary = Path.of(out.substring(out.lastIndexOf('=') + 1));
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException(script + " printed no executable: " + out);
      }
      return new ClientGoProbe(binary);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads the Lease as client-go's resourcelock reads it.
   *
   * @param kubeconfig the kubeconfig file to connect with
   * @param namespace the Lease's namespace
   * @param name the Lease's name
   * @return client-go's {@code LeaderElectionRecord} as one JSON line
   * @throws IllegalStateException if the probe fails
   */
  public String read(Path kubeconfig, String namespace, String name) {
    try {
      Process p =
          new ProcessBuilder(
                  binary.toString(),
                  "read",
                  "-kubeconfig",
                  kubeconfig.toString(),
                  "-namespace",
                  namespace,
                  "-name",
                  name)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("clientgo-probe read failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts a client-go candidate with {@code ReleaseOnCancel} (SIGTERM releases the Lease).
   *
   * @param kubeconfig the kubeconfig file to connect with
   * @param namespace the Lease's namespace
   * @param name the Lease's name
   * @param id the holder identity
   * @param lease leaseDuration, as Go writes durations ({@code 4s})
   * @param renew renewDeadline
   * @param retry retryPeriod
   * @return the running candidate
   */
  public Candidate elect(
      Path kubeconfig,
      String namespace,
      String name,
      String id,
      String lease,
      String renew,
      String retry) {
    try {
      Process p =
          new ProcessBuilder(
                  binary.toString(),
                  "elect",
                  "-kubeconfig",
                  kubeconfig.toString(),
                  "-namespace",
                  namespace,
                  "-name",
                  name,
                  "-id",
                  id,
                  "-lease",
                  lease,
                  "-renew",
                  renew,
                  "-retry",
                  retry)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return new Candidate(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * One client-go candidate; its events are collected as it prints them. Times are {@code
   * CLOCK_MONOTONIC} nanoseconds, the clock of {@link System#nanoTime()} on Linux.
   */
  public static final class Candidate implements AutoCloseable {
    private final Process process;
    private final List<String[]> events = Collections.synchronizedList(new ArrayList<>());

    private Candidate(Process process) {
      this.process = process;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    Matcher m = EVENT.matcher(line);
                    if (m.matches()) {
                      events.add(new String[] {m.group(1), m.group(3), String.valueOf(m.group(4))});
                    }
                  }
                } catch (IOException e) {
                  // the process ended
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    /**
     * When the candidate first printed {@code event}.
     *
     * @param event {@code started-leading}, {@code stopped-leading} or {@code new-leader}
     * @return its time, if it came
     */
    public Optional<Long> firstTime(String event) {
      synchronized (events) {
        return events.stream()
            .filter(e -> e[1].equals(event))
            .map(e -> Long.parseLong(e[0]))
            .findFirst();
      }
    }

    /**
     * Whether the candidate was told that {@code leader} leads.
     *
     * @param leader a holder identity
     * @return whether a {@code new-leader} event named it
     */
    public boolean sawLeader(String leader) {
      synchronized (events) {
        return events.stream().anyMatch(e -> e[1].equals("new-leader") && e[2].equals(leader));
      }
    }

    /**
     * Sends SIGTERM (client-go's {@code ReleaseOnCancel} releases the Lease), without closing the
     * pipes as {@link Process#destroy()} would.
     */
    public void terminate() {
      try {
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid()))
            .inheritIO()
            .start()
            .waitFor();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Kills the process. */
    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
