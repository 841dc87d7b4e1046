package dev.leaderelection.clientjava;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.leaderelection.core.LeaseRecord;
import dev.leaderelection.core.kubernetes.MicroTime;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The mapping between a Lease as JSON (Gson's tree) and {@link LeaseRecord}.
 *
 * <p>The tree, not client-java's {@code V1Lease}: the typed model has no place for spec fields it
 * does not know, so a field added by a newer Kubernetes would be lost at the next renewal; the tree
 * keeps everything of the object it was read as. Times are written as {@link MicroTime} exactly as
 * client-go writes them, unset fields are left out. A value that breaks the Lease schema (a time
 * that is not RFC 3339, a string where an int32 goes) makes the whole answer unreadable: the API
 * server validates every Lease, so only something that is not an API server sends one.
 */
final class LeaseJson {
  private static final List<String> RECORD_FIELDS =
      List.of(
          "holderIdentity",
          "leaseDurationSeconds",
          "acquireTime",
          "renewTime",
          "leaseTransitions",
          "strategy",
          "preferredHolder");

  private LeaseJson() {}

  /** A value that breaks the Lease schema. */
  static final class SchemaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SchemaException(String message) {
      super(message);
    }
  }

  /** The record in {@code lease}; {@code null} fields where it has none. */
  static LeaseRecord toRecord(JsonObject lease) {
    JsonObject s = object(lease, "spec");
    if (s == null) {
      s = new JsonObject();
    }
    return new LeaseRecord(
        string(s, "holderIdentity"),
        int32(s, "leaseDurationSeconds"),
        time(s, "acquireTime"),
        time(s, "renewTime"),
        int32(s, "leaseTransitions"),
        string(s, "strategy"),
        string(s, "preferredHolder"),
        version(lease));
  }

  static @Nullable String version(JsonObject lease) {
    JsonObject m = object(lease, "metadata");
    return m == null ? null : string(m, "resourceVersion");
  }

  static @Nullable String uid(JsonObject lease) {
    JsonObject m = object(lease, "metadata");
    return m == null ? null : string(m, "uid");
  }

  /** The newest {@code metadata.managedFields[].time}: when the API server last changed it. */
  static @Nullable Instant lastWrite(JsonObject lease) {
    JsonObject m = object(lease, "metadata");
    JsonElement entries = m == null ? null : m.get("managedFields");
    Instant last = null;
    if (entries instanceof JsonArray a) {
      for (JsonElement e : a) {
        if (e instanceof JsonObject o && o.get("time") instanceof JsonPrimitive p) {
          Instant t = MicroTime.parseOrNull(p.getAsString());
          if (t != null && (last == null || t.isAfter(last))) {
            last = t;
          }
        }
      }
    }
    return last;
  }

  /** The body of a create: name, namespace and the spec. */
  static JsonObject forCreate(String namespace, String name, LeaseRecord record) {
    JsonObject lease = new JsonObject();
    lease.addProperty("apiVersion", "coordination.k8s.io/v1");
    lease.addProperty("kind", "Lease");
    JsonObject m = new JsonObject();
    m.addProperty("name", name);
    m.addProperty("namespace", namespace);
    lease.add("metadata", m);
    lease.add("spec", spec(null, record));
    return lease;
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
  static JsonObject forUpdate(
      String namespace,
      String name,
      LeaseRecord record,
      String version,
      @Nullable JsonObject base,
      @Nullable String uid) {
    JsonObject lease = base == null ? new JsonObject() : base.deepCopy();
    lease.addProperty("apiVersion", "coordination.k8s.io/v1");
    lease.addProperty("kind", "Lease");
    JsonObject m = object(lease, "metadata");
    if (m == null) {
      m = new JsonObject();
      lease.add("metadata", m);
    }
    m.remove("managedFields");
    m.addProperty("name", name);
    m.addProperty("namespace", namespace);
    if (string(m, "uid") == null && uid != null) {
      m.addProperty("uid", uid);
    }
    m.addProperty("resourceVersion", version);
    lease.add("spec", spec(object(lease, "spec"), record));
    return lease;
  }

  /** The spec for {@code r}, keeping the fields of {@code base} this library does not know. */
  private static JsonObject spec(@Nullable JsonObject base, LeaseRecord r) {
    JsonObject s = base == null ? new JsonObject() : base;
    for (String f : RECORD_FIELDS) {
      s.remove(f);
    }
    put(s, "holderIdentity", r.holderIdentity());
    if (r.leaseDurationSeconds() != null) {
      s.addProperty("leaseDurationSeconds", r.leaseDurationSeconds());
    }
    if (r.acquireTime() != null) {
      s.addProperty("acquireTime", MicroTime.format(r.acquireTime()));
    }
    if (r.renewTime() != null) {
      s.addProperty("renewTime", MicroTime.format(r.renewTime()));
    }
    if (r.leaseTransitions() != null) {
      s.addProperty("leaseTransitions", r.leaseTransitions());
    }
    put(s, "strategy", r.strategy());
    put(s, "preferredHolder", r.preferredHolder());
    return s;
  }

  private static void put(JsonObject o, String field, @Nullable String value) {
    if (value != null) {
      o.addProperty(field, value);
    }
  }

  // ---- reading with the schema's types ---------------------------------------------------------

  static @Nullable JsonObject object(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonObject()) {
      throw new SchemaException(field + " is not an object");
    }
    return e.getAsJsonObject();
  }

  static @Nullable String string(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!(e instanceof JsonPrimitive p) || !p.isString()) {
      throw new SchemaException(field + " is not a string: " + e);
    }
    return p.getAsString();
  }

  private static @Nullable Integer int32(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
      throw new SchemaException(field + " is not a number: " + e);
    }
    try {
      return p.getAsBigDecimal().intValueExact();
    } catch (ArithmeticException ex) {
      throw new SchemaException(field + " is not an int32: " + e);
    }
  }

  private static @Nullable Instant time(JsonObject o, String field) {
    String s = string(o, field);
    if (s == null) {
      return null;
    }
    try {
      return MicroTime.parse(s);
    } catch (DateTimeParseException e) {
      throw new SchemaException(field + " is not a MicroTime: " + s);
    }
  }
}
