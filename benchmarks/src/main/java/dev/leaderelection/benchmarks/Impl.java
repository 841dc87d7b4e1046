package dev.leaderelection.benchmarks;

/** The electors compared: this library on each of its two backends, and the two others. */
public enum Impl {
  /**
   * This library: {@code dev.leaderelection.core.LeaderElector} over {@code KubernetesLeaseLock}
   * ({@code leaderelection-fabric8}).
   */
  OURS("ours", "this library on fabric8"),
  /**
   * This library: {@code dev.leaderelection.core.LeaderElector} over {@code ClientJavaLeaseLock}
   * ({@code leaderelection-client-java}), on the same client-java 25.0.0 as {@link #OFFICIAL}.
   */
  OURS_CJ("ours-cj", "this library on client-java"),
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
   * {@return whether this is this library's elector (on either backend): it reports terms with
   * their validity window (ACQ/END) and renew latencies}
   */
  public boolean ours() {
    return this == OURS || this == OURS_CJ;
  }

  /**
   * Parses a short name.
   *
   * @param s {@code ours}, {@code ours-cj}, {@code fabric8} or {@code official}
   * @return the implementation
   */
  public static Impl parse(String s) {
    for (Impl i : values()) {
      if (i.id.equals(s)) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        "unknown implementation '" + s + "' (ours, ours-cj, fabric8, official)");
  }
}
