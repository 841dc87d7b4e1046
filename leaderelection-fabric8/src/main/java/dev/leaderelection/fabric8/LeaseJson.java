package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseRecord;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The mapping between a Lease's JSON (as a generic map tree) and {@link LeaseRecord}.
 *
 * <p>Reading never throws for odd content: a field of the wrong type or out of range reads as
 * {@code null}, an unparsable time reads as {@code null}. Writing sets each spec field the record
 * has and omits each one it lacks, keeps spec fields this library does not know, and keeps the
 * metadata (labels, annotations, owner references) of the object the update is based on.
 */
final class LeaseJson {
  static final String API_VERSION = "coordination.k8s.io/v1";
  static final String KIND = "Lease";

  private static final String[] SPEC_FIELDS = {
    "holderIdentity",
    "leaseDurationSeconds",
    "acquireTime",
    "renewTime",
    "leaseTransitions",
    "strategy",
    "preferredHolder"
  };

  private LeaseJson() {}

  /** The record in a Lease object; {@code null} fields where the object has none. */
  static LeaseRecord toRecord(Map<?, ?> lease) {
    Map<?, ?> spec = map(lease.get("spec"));
    return new LeaseRecord(
        string(spec.get("holderIdentity")),
        int32(spec.get("leaseDurationSeconds")),
        MicroTime.parse(spec.get("acquireTime")),
        MicroTime.parse(spec.get("renewTime")),
        int32(spec.get("leaseTransitions")),
        string(spec.get("strategy")),
        string(spec.get("preferredHolder")),
        resourceVersion(lease));
  }

  /** {@code metadata.resourceVersion}, or {@code null}. */
  /**
   * How long before {@code serverDate} the Lease was last written, by the API server's own clock:
   * the {@code Date} header of the response against the newest {@code
   * metadata.managedFields[].time} (the API server stamps the writing manager's entry on every
   * change). Both have whole seconds, so one second is taken off. {@code null} if either is missing
   * or unreadable.
   *
   * @param lease the Lease as read
   * @param serverDate the response's {@code Date} header (RFC 1123)
   * @return a lower bound of the time since the last write, or null
   */
  static @Nullable Duration writtenAgo(Map<?, ?> lease, @Nullable String serverDate) {
    if (serverDate == null) {
      return null;
    }
    Instant now;
    try {
      now =
          ZonedDateTime.parse(serverDate.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
    Instant last = null;
    if (map(lease.get("metadata")).get("managedFields") instanceof List<?> entries) {
      for (Object entry : entries) {
        Instant t = MicroTime.parse(map(entry).get("time"));
        if (t != null && (last == null || t.isAfter(last))) {
          last = t;
        }
      }
    }
    if (last == null) {
      return null;
    }
    Duration ago = Duration.between(last, now).minusSeconds(1);
    return ago.isNegative() ? Duration.ZERO : ago;
  }

  static @Nullable String resourceVersion(Map<?, ?> object) {
    return string(map(object.get("metadata")).get("resourceVersion"));
  }

  /** {@code metadata.uid}, or {@code null}. */
  static @Nullable String uid(Map<?, ?> object) {
    return string(map(object.get("metadata")).get("uid"));
  }

  /** The body of a create: name, namespace and the spec. */
  static Map<String, Object> forCreate(String namespace, String name, LeaseRecord record) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("name", name);
    metadata.put("namespace", namespace);
    return object(metadata, spec(Map.of(), record));
  }

  /**
   * The body of an update (PUT) carrying {@code record.version()} as resourceVersion.
   *
   * <p>The uid matters: the API server creates a Lease on update if it does not exist, whatever
   * resourceVersion the update carries. With the uid as a precondition, an update of a deleted
   * Lease fails instead ({@code 409}, "Precondition failed: UID").
   *
   * @param base the last object seen at that version, whose metadata and unknown spec fields are
   *     kept, or {@code null} to send only name, namespace, uid and resourceVersion
   * @param uid the Lease's uid as last seen, used when {@code base} is {@code null}
   */
  static Map<String, Object> forUpdate(
      String namespace,
      String name,
      LeaseRecord record,
      String version,
      @Nullable Map<?, ?> base,
      @Nullable String uid) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    Map<?, ?> baseSpec = Map.of();
    if (base != null) {
      copyInto(map(base.get("metadata")), metadata);
      // The apiserver keeps the managed fields when an update leaves them out; they only add bytes.
      metadata.remove("managedFields");
      baseSpec = map(base.get("spec"));
    }
    metadata.put("name", name);
    metadata.put("namespace", namespace);
    if (!metadata.containsKey("uid") && uid != null) {
      metadata.put("uid", uid);
    }
    metadata.put("resourceVersion", version);
    return object(metadata, spec(baseSpec, record));
  }

  private static Map<String, Object> object(
      Map<String, Object> metadata, Map<String, Object> spec) {
    Map<String, Object> lease = new LinkedHashMap<>();
    lease.put("apiVersion", API_VERSION);
    lease.put("kind", KIND);
    lease.put("metadata", metadata);
    lease.put("spec", spec);
    return lease;
  }

  /**
   * The spec for {@code record}, on top of the fields of {@code base} this library does not know.
   */
  static Map<String, Object> spec(Map<?, ?> base, LeaseRecord r) {
    Map<String, Object> spec = new LinkedHashMap<>();
    copyInto(base, spec);
    for (String f : SPEC_FIELDS) {
      spec.remove(f);
    }
    putIfSet(spec, "holderIdentity", r.holderIdentity());
    putIfSet(spec, "leaseDurationSeconds", r.leaseDurationSeconds());
    putIfSet(spec, "acquireTime", time(r.acquireTime()));
    putIfSet(spec, "renewTime", time(r.renewTime()));
    putIfSet(spec, "leaseTransitions", r.leaseTransitions());
    putIfSet(spec, "strategy", r.strategy());
    putIfSet(spec, "preferredHolder", r.preferredHolder());
    return spec;
  }

  private static @Nullable String time(@Nullable Instant t) {
    return t == null ? null : MicroTime.format(t);
  }

  private static void putIfSet(Map<String, Object> m, String key, @Nullable Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  private static void copyInto(Map<?, ?> from, Map<String, Object> to) {
    for (Map.Entry<?, ?> e : from.entrySet()) {
      if (e.getKey() != null && e.getValue() != null) {
        to.put(e.getKey().toString(), e.getValue());
      }
    }
  }

  /** {@code value} as a map, or an empty map if it is not one. */
  static Map<?, ?> map(@Nullable Object value) {
    return value instanceof Map<?, ?> m ? m : Map.of();
  }

  static @Nullable String string(@Nullable Object value) {
    return value instanceof String s ? s : null;
  }

  /** An integral JSON number within int32, else {@code null}. */
  static @Nullable Integer int32(@Nullable Object value) {
    long v;
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      v = ((Number) value).longValue();
    } else if (value instanceof BigInteger b && b.bitLength() < 64) {
      v = b.longValue();
    } else {
      return null;
    }
    return v < Integer.MIN_VALUE || v > Integer.MAX_VALUE ? null : (int) v;
  }
}
