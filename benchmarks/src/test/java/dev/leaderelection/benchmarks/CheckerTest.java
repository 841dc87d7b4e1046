package dev.leaderelection.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.benchmarks.Checker.Event;
import dev.leaderelection.benchmarks.Checker.Kind;
import dev.leaderelection.benchmarks.Checker.Term;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckerTest {

  @Test
  void disjointTermsHaveNoOverlapAndOneGap() {
    var r =
        Checker.check(
            List.of(new Term("a", 0, 100, false), new Term("b", 150, 300, false)), List.of(), 300);
    assertThat(r.overlaps()).isZero();
    assertThat(r.gaps()).isEqualTo(1);
    assertThat(r.maxGapNanos()).isEqualTo(50);
    assertThat(r.leaderAtEnd()).isTrue();
  }

  @Test
  void touchingTermsDoNotOverlap() {
    var r =
        Checker.check(
            List.of(new Term("a", 0, 100, false), new Term("b", 100, 200, false)), List.of(), 200);
    assertThat(r.overlaps()).isZero();
    assertThat(r.gaps()).isZero();
  }

  @Test
  void overlappingTermsOfDifferentCandidatesAreCounted() {
    var r =
        Checker.check(
            List.of(
                new Term("a", 0, 100, false),
                new Term("b", 90, 200, true),
                new Term("a", 150, 160, false)),
            List.of(),
            200);
    assertThat(r.overlaps()).isEqualTo(2);
    assertThat(r.overlapNanos()).isEqualTo(10);
  }

  @Test
  void termsOfTheSameCandidateNeverOverlapEachOther() {
    var r =
        Checker.check(
            List.of(new Term("a", 0, 100, false), new Term("a", 50, 150, false)), List.of(), 150);
    assertThat(r.overlaps()).isZero();
  }

  @Test
  void noLeaderAtTheEndIsAGap() {
    var r = Checker.check(List.of(new Term("a", 0, 100, false)), List.of(), 400);
    assertThat(r.leaderAtEnd()).isFalse();
    assertThat(r.maxGapNanos()).isEqualTo(300);
  }

  @Test
  void orderingViolations() {
    List<Event> ev =
        List.of(
            new Event("a", Kind.CB_STOP, 1),
            new Event("b", Kind.CB_START, 2),
            new Event("b", Kind.CB_START, 3),
            new Event("b", Kind.CB_STOP, 4),
            new Event("c", Kind.ACQ, 5),
            new Event("c", Kind.END, 6),
            new Event("c", Kind.END, 7),
            new Event("c", Kind.CLOSED, 8),
            new Event("c", Kind.CB_STOP, 9));
    assertThat(Checker.ordering(ev))
        .containsExactly(
            "a: stop callback without a start",
            "b: start callback twice without a stop",
            "c: term ended without a beginning",
            "c: CB_STOP after close() returned",
            "c: stop callback without a start");
  }

  @Test
  void wellFormedSequenceIsClean() {
    List<Event> ev = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ev.add(new Event("a", Kind.ACQ, 10L * i));
      ev.add(new Event("a", Kind.CB_START, 10L * i + 1));
      ev.add(new Event("a", Kind.END, 10L * i + 2));
      ev.add(new Event("a", Kind.CB_STOP, 10L * i + 3));
    }
    ev.add(new Event("a", Kind.CLOSED, 100));
    assertThat(Checker.ordering(ev)).isEmpty();
  }

  @Test
  void percentilesAreNearestRank() {
    List<Double> xs = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      xs.add((double) i);
    }
    Stats s = Stats.of(xs);
    assertThat(s.p50()).isEqualTo(15.0);
    assertThat(s.p90()).isEqualTo(27.0);
    assertThat(s.p99()).isEqualTo(30.0);
    assertThat(s.n()).isEqualTo(30);
    assertThat(Stats.of(List.of()).n()).isZero();
  }

  @Test
  void termsFromCandidateLines() {
    List<Term> terms = new ArrayList<>();
    List<Event> events = new ArrayList<>();
    Terms.collect(
        Impl.FABRIC8,
        "f",
        List.of(
            new Proc.Line("CB_START", 10, "l", List.of()),
            new Proc.Line("CB_STOP", 20, "l", List.of()),
            new Proc.Line("CB_START", 30, "l", List.of())),
        45,
        100,
        terms,
        events);
    assertThat(terms).containsExactly(new Term("f", 10, 20, false), new Term("f", 30, 45, true));
    terms.clear();
    Terms.collect(
        Impl.OURS,
        "o",
        List.of(
            new Proc.Line("ACQ", 10, "l", List.of("9")),
            new Proc.Line("END", 50, "l", List.of("9", "40", "LOST")),
            new Proc.Line("ACQ", 60, "l", List.of("59")),
            new Proc.Line("CLOSED", 80, "l", List.of())),
        -1,
        100,
        terms,
        events);
    assertThat(terms).containsExactly(new Term("o", 9, 40, false), new Term("o", 59, 80, true));
  }

  @Test
  void jsonRoundTrip() {
    Object parsed = JsonRead.parse(Json.write(Map.of("a", List.of(1, 2.5, "x\"y"), "b", true)));
    assertThat(parsed).isEqualTo(Map.of("a", List.of(1.0, 2.5, "x\"y"), "b", true));
  }
}
