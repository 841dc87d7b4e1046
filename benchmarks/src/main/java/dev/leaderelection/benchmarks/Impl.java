package dev.leaderelection.benchmarks;

import java.util.Locale;

/** The three electors compared. */
public enum Impl {
  /**
   * This library: {@code dev.leaderelection.core.LeaderElector} over {@code KubernetesLeaseLock}.
   */
  OURS("ours", "this library"),
  /** {@code io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector} (8.0.0). */
  FABRIC8("fabric8", "fabric8 8.0.0"),
  /** {@code io.kubernetes.client.extended.leaderelection.LeaderElector} (client-java 25.0.0). */
  OFFICIAL("official", "official client 25.0.0");

  private final String id;
  private final String label;

  Impl(String id, String label) {
    this.id = id;
    this.label = label;
  }

  /** {@return the short name used on command lines and in files} */
  public String id() {
    return id;
  }

  /** {@return the name used in tables} */
  public String label() {
    return label;
  }

  /**
   * Parses a short name.
   *
   * @param s {@code ours}, {@code fabric8} or {@code official}
   * @return the implementation
   */
  public static Impl parse(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
