package dev.leaderelection.examples.worker;

import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Writes one machine-readable line per role change or notable step, for people and for the demo:
 *
 * <pre>
 * EVENT t=183746512093847 id=worker-2_3fa2c1b0 event=started-leading token=48213
 * </pre>
 *
 * <p>{@code t} is {@link System#nanoTime()}: on Linux the monotonic clock shared by every process
 * of the machine, so lines of different processes can be put on one timeline. Fields are {@code
 * key=value} without spaces, except {@code msg}, which is always last and runs to the end of the
 * line.
 */
public final class EventLog {
  private final String identity;
  private final Consumer<String> out;

  /**
   * An event log.
   *
   * @param identity the candidate identity written in every line
   * @param out where lines go
   */
  public EventLog(String identity, Consumer<String> out) {
    this.identity = Objects.requireNonNull(identity);
    this.out = Objects.requireNonNull(out);
  }

  /**
   * An event log on standard output.
   *
   * @param identity the candidate identity written in every line
   * @return the log
   */
  public static EventLog stdout(String identity) {
    PrintStream s = System.out;
    return new EventLog(
        identity,
        line -> {
          synchronized (s) {
            s.println(line);
            s.flush();
          }
        });
  }

  /** {@return the identity written in every line} */
  public String identity() {
    return identity;
  }

  /**
   * Writes an event.
   *
   * @param event the event name, such as {@code started-leading}
   * @param fields alternating keys and values ({@code null} is written as {@code null}); a key
   *     {@code msg} must come last
   */
  public void event(String event, @Nullable Object... fields) {
    StringBuilder sb =
        new StringBuilder("EVENT t=")
            .append(System.nanoTime())
            .append(" id=")
            .append(identity)
            .append(" event=")
            .append(event);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      String key = String.valueOf(fields[i]);
      String value = String.valueOf(fields[i + 1]);
      sb.append(' ').append(key).append('=');
      sb.append(key.equals("msg") ? value.replace('\n', ' ') : value.replaceAll("\\s", "_"));
    }
    out.accept(sb.toString());
  }
}
