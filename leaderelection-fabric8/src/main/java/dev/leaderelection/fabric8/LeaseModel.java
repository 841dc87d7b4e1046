package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseRecord;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The mapping between fabric8's typed {@link Lease} and {@link LeaseRecord}.
 *
 * <p>fabric8's model writes the times as {@code MicroTime} exactly as client-go does (six
 * fractional digits, truncated, UTC, {@code Z}), leaves unset fields out, and keeps spec fields it
 * does not know in {@link LeaseSpec#getAdditionalProperties()}, so a field added by a newer
 * Kubernetes survives a renewal. The API server validates every Lease and writes its times
 * canonically, so each of its answers fits this model; one that does not (a proxy's page, a
 * non-Kubernetes server) fails the call as {@code INVALID}. Odd but valid values (no holder, a
 * negative duration, a missing time) are read as they are: the election gives each a meaning.
 */
final class LeaseModel {
  private LeaseModel() {}

  /** The record in {@code lease}; {@code null} fields where it has none. */
  static LeaseRecord toRecord(Lease lease) {
    LeaseSpec s = lease.getSpec() == null ? new LeaseSpec() : lease.getSpec();
    return new LeaseRecord(
        s.getHolderIdentity(),
        s.getLeaseDurationSeconds(),
        instant(s.getAcquireTime()),
        instant(s.getRenewTime()),
        s.getLeaseTransitions(),
        s.getStrategy(),
        s.getPreferredHolder(),
        version(lease));
  }

  static @Nullable String version(Lease lease) {
    ObjectMeta m = lease.getMetadata();
    return m == null ? null : m.getResourceVersion();
  }

  static @Nullable String uid(Lease lease) {
    ObjectMeta m = lease.getMetadata();
    return m == null ? null : m.getUid();
  }

  /** The newest {@code metadata.managedFields[].time}: when the API server last changed it. */
  static @Nullable Instant lastWrite(Lease lease) {
    List<ManagedFieldsEntry> entries =
        lease.getMetadata() == null ? null : lease.getMetadata().getManagedFields();
    Instant last = null;
    if (entries != null) {
      for (ManagedFieldsEntry e : entries) {
        Instant t = rfc3339(e.getTime());
        if (t != null && (last == null || t.isAfter(last))) {
          last = t;
        }
      }
    }
    return last;
  }

  /** The body of a create: name, namespace and the spec. */
  static Lease forCreate(String namespace, String name, LeaseRecord record) {
    return new LeaseBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .endMetadata()
        .withSpec(spec(null, record))
        .build();
  }

  /**
   * The body of an update (PUT) carrying {@code version} as resourceVersion: the metadata (labels,
   * annotations, owner references) and unknown spec fields of {@code base}, the last object seen at
   * that version, with the managed fields left out (the API server keeps them).
   *
   * <p>The uid matters: the API server creates a Lease on update if it does not exist, whatever
   * resourceVersion the update carries. With the uid as a precondition, an update of a deleted
   * Lease fails instead ({@code 409}, "Precondition failed: UID").
   */
  static Lease forUpdate(
      String namespace,
      String name,
      LeaseRecord record,
      String version,
      @Nullable Lease base,
      @Nullable String uid) {
    LeaseBuilder b = base == null ? new LeaseBuilder() : new LeaseBuilder(base);
    ObjectMeta m = b.buildMetadata() == null ? new ObjectMeta() : b.buildMetadata();
    m.setManagedFields(null);
    m.setName(name);
    m.setNamespace(namespace);
    if (m.getUid() == null) {
      m.setUid(uid);
    }
    m.setResourceVersion(version);
    return b.withMetadata(m).withSpec(spec(base == null ? null : base.getSpec(), record)).build();
  }

  /** The spec for {@code r}, keeping the fields of {@code base} this library does not know. */
  private static LeaseSpec spec(@Nullable LeaseSpec base, LeaseRecord r) {
    LeaseSpec s = new LeaseSpec();
    if (base != null) {
      s.setAdditionalProperties(new LinkedHashMap<>(base.getAdditionalProperties()));
    }
    s.setHolderIdentity(r.holderIdentity());
    s.setLeaseDurationSeconds(r.leaseDurationSeconds());
    s.setAcquireTime(zoned(r.acquireTime()));
    s.setRenewTime(zoned(r.renewTime()));
    s.setLeaseTransitions(r.leaseTransitions());
    s.setStrategy(r.strategy());
    s.setPreferredHolder(r.preferredHolder());
    return s;
  }

  private static @Nullable ZonedDateTime zoned(@Nullable Instant t) {
    return t == null ? null : t.atZone(ZoneOffset.UTC);
  }

  private static @Nullable Instant instant(@Nullable ZonedDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static @Nullable Instant rfc3339(@Nullable String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
