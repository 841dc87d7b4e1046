package dev.leaderelection.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The content of a Lease as the election sees it: the fields of a {@code coordination.k8s.io/v1}
 * {@code LeaseSpec} plus the opaque version used for compare-and-swap.
 *
 * <p>Every field is nullable because real Leases have nulls: hand-edited, half-written, or written
 * by other tools. The election gives each missing or out-of-range value a defined meaning (see
 * {@link #isHeld()}; a missing or negative {@code leaseTransitions} counts as 0); a record is never
 * rejected for being malformed.
 *
 * @param holderIdentity the identity of the holder; {@code null} or empty means nobody holds it
 * @param leaseDurationSeconds how long, in whole seconds, others must wait after last seeing this
 *     record change before they may take it over
 * @param acquireTime when the current holder acquired it, from the writer's wall clock
 * @param renewTime when the current holder last renewed it, from the writer's wall clock; never
 *     compared with the reader's clock
 * @param leaseTransitions how many times the holder changed (client-go's count; this library's
 *     fencing token is the version of a term's first write instead)
 * @param strategy the coordinated-election strategy (Kubernetes 1.31+); preserved, not interpreted
 * @param preferredHolder the holder the apiserver would like to hand over to; preserved, not
 *     interpreted
 * @param version the backend's concurrency token ({@code metadata.resourceVersion}); {@code null}
 *     for a record that was never stored. Where it is a decimal number that grows with every write,
 *     also across a delete and re-create (as Kubernetes resourceVersions do), it orders records and
 *     is the fencing token of the term a write began
 * @param writtenAgo on a record just read: how long before the read the record was last written,
 *     measured by the backend's own clock (for a Kubernetes Lease, the API server's {@code Date}
 *     header against the newest {@code metadata.managedFields} time), rounded down; {@code null}
 *     when the backend cannot tell. Never taken from a writer's clock. Not part of the spec: the
 *     election does not count a record that differs only in it (or in its version) as a change.
 */
public record LeaseRecord(
    @Nullable String holderIdentity,
    @Nullable Integer leaseDurationSeconds,
    @Nullable Instant acquireTime,
    @Nullable Instant renewTime,
    @Nullable Integer leaseTransitions,
    @Nullable String strategy,
    @Nullable String preferredHolder,
    @Nullable String version,
    @Nullable Duration writtenAgo) {

  /**
   * A record whose age on the backend is unknown.
   *
   * @param holderIdentity see the class description
   * @param leaseDurationSeconds see the class description
   * @param acquireTime see the class description
   * @param renewTime see the class description
   * @param leaseTransitions see the class description
   * @param strategy see the class description
   * @param preferredHolder see the class description
   * @param version see the class description
   */
  public LeaseRecord(
      @Nullable String holderIdentity,
      @Nullable Integer leaseDurationSeconds,
      @Nullable Instant acquireTime,
      @Nullable Instant renewTime,
      @Nullable Integer leaseTransitions,
      @Nullable String strategy,
      @Nullable String preferredHolder,
      @Nullable String version) {
    this(
        holderIdentity,
        leaseDurationSeconds,
        acquireTime,
        renewTime,
        leaseTransitions,
        strategy,
        preferredHolder,
        version,
        null);
  }

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

  /**
   * Whether {@code other} has the same spec as this record. The {@link #version()} and {@link
   * #writtenAgo()} are ignored: a metadata-only change (labels, annotations) is not a change of the
   * election record. For the engine only.
   *
   * @param other another record, or null
   * @return whether the specs are equal
   */
  boolean sameSpecAs(@Nullable LeaseRecord other) {
    return other != null
        && Objects.equals(holderIdentity, other.holderIdentity)
        && Objects.equals(leaseDurationSeconds, other.leaseDurationSeconds)
        && Objects.equals(acquireTime, other.acquireTime)
        && Objects.equals(renewTime, other.renewTime)
        && Objects.equals(leaseTransitions, other.leaseTransitions)
        && Objects.equals(strategy, other.strategy)
        && Objects.equals(preferredHolder, other.preferredHolder);
  }

  /**
   * This record with {@code writtenAgo} replaced.
   *
   * @param writtenAgo how long ago the backend last wrote it, or null
   * @return a copy
   */
  public LeaseRecord withWrittenAgo(@Nullable Duration writtenAgo) {
    return new LeaseRecord(
        holderIdentity,
        leaseDurationSeconds,
        acquireTime,
        renewTime,
        leaseTransitions,
        strategy,
        preferredHolder,
        version,
        writtenAgo);
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
        version,
        writtenAgo);
  }
}
