package dev.leaderelection.benchmarks;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks what candidates believed against each other: overlapping terms (two leaders at once),
 * leaderless gaps, and callbacks out of order. Times are monotonic nanoseconds shared by all
 * processes of the machine ({@code CLOCK_MONOTONIC}).
 */
public final class Checker {

  private Checker() {}

  /**
   * One span during which a candidate believed it led.
   *
   * @param candidate who
   * @param start first instant of the belief
   * @param end last instant of the belief
   * @param cutOff whether the end was not reported by the candidate but imposed (the process was
   *     killed, or the trial ended first)
   */
  public record Term(String candidate, long start, long end, boolean cutOff) {}

  /** A callback or election event of one candidate, for the ordering check. */
  public enum Kind {
    /** The application's start callback ran. */
    CB_START,
    /** The application's stop callback ran. */
    CB_STOP,
    /** The elector reported a term (this library's listener). */
    ACQ,
    /** The elector reported the end of a term (this library's listener). */
    END,
    /** {@code close()} returned. */
    CLOSED
  }

  /**
   * An event of one candidate.
   *
   * @param candidate who
   * @param kind what
   * @param at when, monotonic nanoseconds
   */
  public record Event(String candidate, Kind kind, long at) {}

  /**
   * What the checker found in one trial.
   *
   * @param overlaps pairs of terms of different candidates that intersect
   * @param overlapNanos the longest such intersection
   * @param gaps leaderless spans after the first term began (a fault that costs the leader is
   *     expected to cause one)
   * @param maxGapNanos the longest leaderless span
   * @param leaderAtEnd whether someone led at the end of the observation window
   * @param outOfOrder callbacks out of order (see {@link #ordering})
   * @param outOfOrderDetails one line per violation
   */
  public record Result(
      int overlaps,
      long overlapNanos,
      int gaps,
      long maxGapNanos,
      boolean leaderAtEnd,
      int outOfOrder,
      List<String> outOfOrderDetails) {}

  /**
   * Checks the terms and events of one trial.
   *
   * @param terms the terms of all candidates
   * @param events the callbacks of all candidates, in the order each candidate reported them
   * @param windowEnd end of the observation window
   * @return the findings
   */
  public static Result check(List<Term> terms, List<Event> events, long windowEnd) {
    int overlaps = 0;
    long overlapNanos = 0;
    for (int i = 0; i < terms.size(); i++) {
      for (int j = i + 1; j < terms.size(); j++) {
        Term a = terms.get(i);
        Term b = terms.get(j);
        if (a.candidate().equals(b.candidate())) {
          continue;
        }
        long o = Math.min(a.end(), b.end()) - Math.max(a.start(), b.start());
        if (o > 0) {
          overlaps++;
          overlapNanos = Math.max(overlapNanos, o);
        }
      }
    }
    List<Term> sorted = new ArrayList<>(terms);
    sorted.sort(Comparator.comparingLong(Term::start));
    int gaps = 0;
    long maxGap = 0;
    boolean leaderAtEnd = false;
    if (!sorted.isEmpty()) {
      long coveredUntil = sorted.get(0).end();
      for (int i = 1; i < sorted.size(); i++) {
        Term t = sorted.get(i);
        if (t.start() > coveredUntil) {
          gaps++;
          maxGap = Math.max(maxGap, t.start() - coveredUntil);
        }
        coveredUntil = Math.max(coveredUntil, t.end());
      }
      if (coveredUntil < windowEnd) {
        gaps++;
        maxGap = Math.max(maxGap, windowEnd - coveredUntil);
      } else {
        leaderAtEnd = true;
      }
    }
    List<String> details = ordering(events);
    return new Result(overlaps, overlapNanos, gaps, maxGap, leaderAtEnd, details.size(), details);
  }

  /**
   * The ordering rules, per candidate: every stop follows exactly one start (no stop without a
   * start, no second start before the stop), the same for this library's term events, and nothing
   * after {@code close()} returned.
   *
   * @param events the events of all candidates, each candidate's in the order reported
   * @return one line per violation
   */
  public static List<String> ordering(List<Event> events) {
    Map<String, int[]> open = new HashMap<>(); // [cbOpen, termOpen, closed]
    List<String> out = new ArrayList<>();
    for (Event e : events) {
      int[] s = open.computeIfAbsent(e.candidate(), k -> new int[3]);
      if (s[2] == 1 && e.kind() != Kind.CLOSED) {
        out.add(e.candidate() + ": " + e.kind() + " after close() returned");
      }
      switch (e.kind()) {
        case CB_START -> {
          if (s[0] == 1) {
            out.add(e.candidate() + ": start callback twice without a stop");
          }
          s[0] = 1;
        }
        case CB_STOP -> {
          if (s[0] == 0) {
            out.add(e.candidate() + ": stop callback without a start");
          }
          s[0] = 0;
        }
        case ACQ -> {
          if (s[1] == 1) {
            out.add(e.candidate() + ": term began twice without an end");
          }
          s[1] = 1;
        }
        case END -> {
          if (s[1] == 0) {
            out.add(e.candidate() + ": term ended without a beginning");
          }
          s[1] = 0;
        }
        case CLOSED -> s[2] = 1;
      }
    }
    return out;
  }
}
