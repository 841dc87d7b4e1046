package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseRecord;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class LeaseJsonTest {

  private static final Instant T1 = Instant.parse("2026-11-22T02:22:55.123456Z");
  private static final Instant T2 = Instant.parse("2026-11-22T02:23:05.000001Z");

  private static Map<Object, Object> asMap(@Nullable Object o) {
    return new LinkedHashMap<Object, Object>(LeaseJson.map(o));
  }

  private static Map<String, Object> lease(Map<String, Object> spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("apiVersion", "coordination.k8s.io/v1");
    m.put("kind", "Lease");
    m.put("metadata", Map.of("name", "x", "namespace", "ns", "resourceVersion", "42"));
    m.put("spec", spec);
    return m;
  }

  @Test
  void writtenAgoIsTheServerDateAgainstTheNewestManagedFieldsTimeLessOneSecond() {
    Map<String, Object> m = lease(Map.of());
    m.put(
        "metadata",
        Map.of(
            "resourceVersion",
            "42",
            "managedFields",
            List.of(
                Map.of("manager", "a", "time", "2026-11-22T08:00:00Z"),
                Map.of("manager", "b", "time", "2026-11-22T09:00:00Z"),
                Map.of("manager", "broken", "time", 17))));
    assertThat(LeaseJson.writtenAgo(m, "Sun, 22 Nov 2026 10:00:00 GMT"))
        .isEqualTo(Duration.ofMinutes(60).minusSeconds(1));
    assertThat(LeaseJson.writtenAgo(m, "Sun, 22 Nov 2026 09:00:00 GMT"))
        .as("never negative")
        .isEqualTo(Duration.ZERO);
    assertThat(LeaseJson.writtenAgo(m, "yesterday")).as("unreadable Date").isNull();
    assertThat(LeaseJson.writtenAgo(m, null)).isNull();
    assertThat(LeaseJson.writtenAgo(lease(Map.of()), "Sun, 22 Nov 2026 10:00:00 GMT"))
        .as("no managedFields: unknown, never guessed from renewTime")
        .isNull();
  }

  @Test
  void readsEveryFieldAsClientGoWritesThem() {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("holderIdentity", "go-node-1");
    spec.put("leaseDurationSeconds", 15);
    spec.put("acquireTime", "2026-11-22T02:22:55.123456Z");
    spec.put("renewTime", "2026-11-22T02:23:05.000001Z");
    spec.put("leaseTransitions", 3);
    spec.put("strategy", "OldestEmulationVersion");
    spec.put("preferredHolder", "go-node-2");
    assertThat(LeaseJson.toRecord(lease(spec)))
        .isEqualTo(
            new LeaseRecord(
                "go-node-1", 15, T1, T2, 3, "OldestEmulationVersion", "go-node-2", "42"));
  }

  @Test
  void missingSpecAndMissingFieldsReadAsNull() {
    assertThat(LeaseJson.toRecord(lease(Map.of())))
        .isEqualTo(LeaseRecord.empty().withVersion("42"));
    Map<String, Object> noSpec = lease(Map.of());
    noSpec.remove("spec");
    assertThat(LeaseJson.toRecord(noSpec)).isEqualTo(LeaseRecord.empty().withVersion("42"));
  }

  @Test
  void wrongTypesAndOutOfRangeNumbersReadAsNull() {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("holderIdentity", 7);
    spec.put("leaseDurationSeconds", "15");
    spec.put("acquireTime", "not a time");
    spec.put("renewTime", List.of());
    spec.put("leaseTransitions", 3_000_000_000L);
    spec.put("strategy", Map.of());
    spec.put("preferredHolder", true);
    assertThat(LeaseJson.toRecord(lease(spec))).isEqualTo(LeaseRecord.empty().withVersion("42"));
  }

  @Test
  void negativeAndBigIntegerNumbersWithinInt32AreKept() {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("leaseDurationSeconds", -5);
    spec.put("leaseTransitions", BigInteger.valueOf(12));
    LeaseRecord r = LeaseJson.toRecord(lease(spec));
    assertThat(r.leaseDurationSeconds()).isEqualTo(-5);
    assertThat(r.leaseTransitions()).isEqualTo(12);
    spec.put("leaseDurationSeconds", 1.5);
    assertThat(LeaseJson.toRecord(lease(spec)).leaseDurationSeconds()).isNull();
  }

  @Test
  void createWritesOnlyTheFieldsThatAreSet() {
    LeaseRecord r = new LeaseRecord("me", 15, T1, T1, 0, null, null, "ignored");
    Map<String, Object> body = LeaseJson.forCreate("ns", "x", r);
    assertThat(body)
        .containsEntry("apiVersion", "coordination.k8s.io/v1")
        .containsEntry("kind", "Lease")
        .containsEntry("metadata", Map.of("name", "x", "namespace", "ns"));
    assertThat(asMap(body.get("spec")))
        .containsExactly(
            Map.entry("holderIdentity", "me"),
            Map.entry("leaseDurationSeconds", 15),
            Map.entry("acquireTime", "2026-11-22T02:22:55.123456Z"),
            Map.entry("renewTime", "2026-11-22T02:22:55.123456Z"),
            Map.entry("leaseTransitions", 0));
  }

  @Test
  void releaseWritesAnEmptyHolderNotAnAbsentOne() {
    LeaseRecord released = new LeaseRecord("", 1, T1, T1, 4, null, null, "9");
    Map<Object, Object> spec =
        asMap(LeaseJson.forUpdate("ns", "x", released, "9", null, null).get("spec"));
    assertThat(spec).containsEntry("holderIdentity", "").containsEntry("leaseDurationSeconds", 1);
  }

  @Test
  void updateKeepsMetadataAndUnknownSpecFieldsOfItsBaseButDropsManagedFields() {
    Map<String, Object> baseSpec = new LinkedHashMap<>();
    baseSpec.put("holderIdentity", "old");
    baseSpec.put("renewTime", "2026-11-22T02:22:55.123456Z");
    baseSpec.put("futureField", "kept");
    Map<String, Object> base = lease(baseSpec);
    base.put(
        "metadata",
        Map.of(
            "name", "x",
            "namespace", "ns",
            "resourceVersion", "41",
            "uid", "base-uid",
            "labels", Map.of("app", "demo"),
            "managedFields", List.of(Map.of("manager", "kubectl"))));
    LeaseRecord r = new LeaseRecord("new", 10, null, T2, 1, null, null, "41");
    Map<String, Object> body = LeaseJson.forUpdate("ns", "x", r, "41", base, "other-uid");
    Map<Object, Object> metadata = asMap(body.get("metadata"));
    assertThat(metadata)
        .containsEntry("labels", Map.of("app", "demo"))
        .containsEntry("resourceVersion", "41")
        .containsEntry("uid", "base-uid")
        .doesNotContainKey("managedFields");
    assertThat(asMap(body.get("spec")))
        .containsEntry("futureField", "kept")
        .containsEntry("holderIdentity", "new")
        .containsEntry("renewTime", "2026-11-22T02:23:05.000001Z")
        .doesNotContainKey("acquireTime");
  }

  @Test
  void recordsRoundTripThroughTheJsonMapping() {
    LeaseRecord r = new LeaseRecord("a", 7, T1, T2, 2, "OldestEmulationVersion", "b", "5");
    Map<String, Object> body = LeaseJson.forUpdate("ns", "x", r, "5", null, null);
    assertThat(LeaseJson.toRecord(body)).isEqualTo(r);
    LeaseRecord empty = LeaseRecord.empty().withVersion("5");
    assertThat(LeaseJson.toRecord(LeaseJson.forUpdate("ns", "x", empty, "5", null, null)))
        .isEqualTo(empty);
  }

  @Test
  void updateWithoutBaseStillCarriesTheUidAsPrecondition() {
    LeaseRecord r = new LeaseRecord("a", 7, T1, T2, 2, null, null, "5");
    Map<Object, Object> metadata =
        asMap(LeaseJson.forUpdate("ns", "x", r, "5", null, "the-uid").get("metadata"));
    assertThat(metadata)
        .containsEntry("uid", "the-uid")
        .containsEntry("resourceVersion", "5")
        .containsEntry("name", "x")
        .containsEntry("namespace", "ns");
  }
}
