package dev.leaderelection.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** Summary statistics of a sample, nearest-rank percentiles. */
public record Stats(
    int n, double min, double p50, double p90, double p99, double max, double mean) {

  /** An empty sample. */
  public static final Stats EMPTY =
      new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  /**
   * Computes the statistics of a sample.
   *
   * @param values the sample; may be empty
   * @return the statistics
   */
  public static Stats of(Collection<Double> values) {
    if (values.isEmpty()) {
      return EMPTY;
    }
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    double sum = 0;
    for (double v : s) {
      sum += v;
    }
    return new Stats(
        s.size(),
        s.get(0),
        percentile(s, 50),
        percentile(s, 90),
        percentile(s, 99),
        s.get(s.size() - 1),
        sum / s.size());
  }

  /**
   * Nearest-rank percentile of a sorted sample: the smallest value such that at least {@code p}
   * percent of the sample is at or below it. With fewer than 100 values, p99 is the maximum.
   *
   * @param sorted the sample, sorted ascending, not empty
   * @param p the percentile, in (0, 100]
   * @return the percentile
   */
  public static double percentile(List<Double> sorted, double p) {
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("empty sample");
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }
}
