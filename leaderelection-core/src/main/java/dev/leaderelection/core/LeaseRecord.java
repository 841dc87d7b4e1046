package dev.leaderelection.core;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The content of a Lease as the election sees it: the fields of a {@code coordination.k8s.io/v1}
 * {@code LeaseSpec} plus the opaque version used for compare-and-swap.
 *
 * <p>Every field is nullable because real Leases have nulls: hand-edited, half-written, or written
 * by other tools. The election gives each missing or out-of-range value a defined meaning (see
 * {@link #isHeld()}, {@link #leaseTransitionsOrZero()}); a record is never rejected for being
 * malformed.
 *
 * @param holderIdentity the identity of the holder; {@code null} or empty means nobody holds it
 * @param leaseDurationSeconds how long, in whole seconds, others must wait after last seeing this
 *     record change before they may take it over
 * @param acquireTime when the current holder acquired it, from the writer's wall clock
 * @param renewTime when the current holder last renewed it, from the writer's wall clock; never
 *     compared with the reader's clock
 * @param leaseTransitions how many times the holder changed; the fencing token of a term
 * @param strategy the coordinated-election strategy (Kubernetes 1.31+); preserved, not interpreted
 * @param preferredHolder the holder the apiserver would like to hand over to; preserved, not
 *     interpreted
 * @param version the backend's concurrency token ({@code metadata.resourceVersion}); {@code null}
 *     for a record that was never stored
 */
public record LeaseRecord(
    @Nullable String holderIdentity,
    @Nullable Integer leaseDurationSeconds,
    @Nullable Instant acquireTime,
    @Nullable Instant renewTime,
    @Nullable Integer leaseTransitions,
    @Nullable String strategy,
    @Nullable String preferredHolder,
    @Nullable String version) {

  /** {@return a record with every field missing, as a Lease created with an empty spec reads} */
  public static LeaseRecord empty() {
    return new LeaseRecord(null, null, null, null, null, null, null, null);
  }

  /** {@return whether a non-empty holder identity is set} */
  public boolean isHeld() {
    return holderIdentity != null && !holderIdentity.isEmpty();
  }

  /**
   * Whether the holder is exactly {@code identity}.
   *
   * @param identity a candidate's identity
   * @return whether it holds this record
   */
  public boolean isHeldBy(String identity) {
    return isHeld() && identity.equals(holderIdentity);
  }

  /** {@return {@code leaseTransitions}, with {@code null} or a negative value read as 0} */
  public int leaseTransitionsOrZero() {
    return leaseTransitions == null || leaseTransitions < 0 ? 0 : leaseTransitions;
  }

  /**
   * Whether {@code other} has the same spec as this record. The {@link #version()} is ignored: a
   * metadata-only change (labels, annotations) is not a change of the election record.
   *
   * @param other another record, or null
   * @return whether the specs are equal
   */
  public boolean sameSpecAs(@Nullable LeaseRecord other) {
    return other != null && withVersion(null).equals(other.withVersion(null));
  }

  /**
   * This record with {@code version} replaced.
   *
   * @param version the new version
   * @return a copy
   */
  public LeaseRecord withVersion(@Nullable String version) {
    return new LeaseRecord(
        holderIdentity,
        leaseDurationSeconds,
        acquireTime,
        renewTime,
        leaseTransitions,
        strategy,
        preferredHolder,
        version);
  }

  /**
   * This record with {@code renewTime} replaced.
   *
   * @param renewTime the new renew time
   * @return a copy
   */
  public LeaseRecord withRenewTime(@Nullable Instant renewTime) {
    return new LeaseRecord(
        holderIdentity,
        leaseDurationSeconds,
        acquireTime,
        renewTime,
        leaseTransitions,
        strategy,
        preferredHolder,
        version);
  }
}
