package dev.leaderelection.benchmarks;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** A tiny JSON writer for result files (maps, lists, strings, numbers, booleans). */
final class Json {
  private Json() {}

  static String write(@org.jspecify.annotations.Nullable Object o) {
    StringBuilder sb = new StringBuilder();
    write(sb, o, "");
    return sb.toString();
  }

  private static void write(
      StringBuilder sb, @org.jspecify.annotations.Nullable Object o, String ind) {
    if (o == null) {
      sb.append("null");
    } else if (o instanceof Map<?, ?> m) {
      sb.append("{");
      String in = ind + "  ";
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "\n" : ",\n").append(in);
        first = false;
        str(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), in);
      }
      sb.append(first ? "}" : "\n" + ind + "}");
    } else if (o instanceof Collection<?> c) {
      sb.append("[");
      String in = ind + "  ";
      boolean first = true;
      for (Object x : c) {
        sb.append(first ? "\n" : ",\n").append(in);
        first = false;
        write(sb, x, in);
      }
      sb.append(first ? "]" : "\n" + ind + "]");
    } else if (o instanceof Double d) {
      sb.append(d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.3f", d));
    } else if (o instanceof Number || o instanceof Boolean) {
      sb.append(o);
    } else {
      str(sb, o.toString());
    }
  }

  private static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
