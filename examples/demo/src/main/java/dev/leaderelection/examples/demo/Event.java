package dev.leaderelection.examples.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One line of the timeline: an {@code EVENT} line of a worker, or an action of the demo.
 *
 * @param t {@link System#nanoTime()} when it happened
 * @param source the worker's name ({@code worker-1}) or {@code demo}
 * @param name the event name, such as {@code started-leading}
 * @param fields the other fields of the line
 */
record Event(long t, String source, String name, Map<String, String> fields) {

  /**
   * Parses a worker's {@code EVENT t=... id=... event=... k=v ... msg=...} line.
   *
   * @return the event, or null if the line is not an event line
   */
  static @Nullable Event parse(String source, String line) {
    if (!line.startsWith("EVENT ")) {
      return null;
    }
    Map<String, String> fields = new LinkedHashMap<>();
    String rest = line.substring("EVENT ".length());
    while (!rest.isEmpty()) {
      int eq = rest.indexOf('=');
      if (eq < 0) {
        break;
      }
      String key = rest.substring(0, eq);
      if (key.equals("msg")) {
        fields.put(key, rest.substring(eq + 1));
        break;
      }
      int sp = rest.indexOf(' ', eq);
      fields.put(key, sp < 0 ? rest.substring(eq + 1) : rest.substring(eq + 1, sp));
      rest = sp < 0 ? "" : rest.substring(sp + 1);
    }
    String t = fields.remove("t");
    String event = fields.remove("event");
    if (t == null || event == null) {
      return null;
    }
    try {
      return new Event(Long.parseLong(t), source, event, fields);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  Optional<String> field(String key) {
    return Optional.ofNullable(fields.get(key));
  }

  long token() {
    return field("token").map(Long::parseLong).orElse(-1L);
  }
}
