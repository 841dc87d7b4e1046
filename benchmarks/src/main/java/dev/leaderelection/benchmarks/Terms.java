package dev.leaderelection.benchmarks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Turns candidates' lines into the checker's terms and events. */
final class Terms {
  private Terms() {}

  /** Terms and events of one trial. */
  record Collected(List<Checker.Term> terms, List<Checker.Event> events) {}

  /**
   * Collects what the candidates of a trial reported for a Lease. A belief with no reported end
   * ends when the process was killed, or else when its {@code close()} returned, or else at {@code
   * now}.
   */
  static Collected collect(List<Proc> procs, String lease, long now) {
    List<Checker.Term> terms = new ArrayList<>();
    List<Checker.Event> events = new ArrayList<>();
    for (Proc p : procs) {
      collect(p.impl, p.id, p.linesFor(lease), p.killedAt(), now, terms, events);
    }
    return new Collected(terms, events);
  }

  static void collect(
      Impl impl,
      String id,
      List<Proc.Line> lines,
      long killedAt,
      long now,
      List<Checker.Term> terms,
      List<Checker.Event> events) {
    long cutoff = now;
    for (Proc.Line l : lines) {
      if (l.kind().equals("CLOSED")) {
        cutoff = l.at();
      }
    }
    if (killedAt >= 0) {
      cutoff = Math.min(cutoff, killedAt);
    }
    Map<Long, Boolean> openOurs = new HashMap<>();
    long openStart = -1;
    for (Proc.Line l : lines) {
      switch (l.kind()) {
        case "CB_START" -> {
          events.add(new Checker.Event(id, Checker.Kind.CB_START, l.at()));
          if (!impl.ours()) {
            openStart = l.at();
          }
        }
        case "CB_STOP" -> {
          events.add(new Checker.Event(id, Checker.Kind.CB_STOP, l.at()));
          if (!impl.ours() && openStart >= 0) {
            terms.add(new Checker.Term(id, openStart, l.at(), false));
            openStart = -1;
          }
        }
        case "ACQ" -> {
          events.add(new Checker.Event(id, Checker.Kind.ACQ, l.at()));
          openOurs.put(Long.parseLong(l.rest().get(0)), Boolean.TRUE);
        }
        case "END" -> {
          events.add(new Checker.Event(id, Checker.Kind.END, l.at()));
          long from = Long.parseLong(l.rest().get(0));
          long until = Long.parseLong(l.rest().get(1));
          openOurs.remove(from);
          // A killed process stops believing when it dies.
          long end = killedAt >= 0 ? Math.min(until, killedAt) : until;
          terms.add(new Checker.Term(id, from, end, false));
        }
        case "CLOSED" -> events.add(new Checker.Event(id, Checker.Kind.CLOSED, l.at()));
        default -> {}
      }
    }
    if (openStart >= 0) {
      terms.add(new Checker.Term(id, openStart, Math.max(openStart, cutoff), true));
    }
    for (long from : openOurs.keySet()) {
      terms.add(new Checker.Term(id, from, Math.max(from, cutoff), true));
    }
  }
}
