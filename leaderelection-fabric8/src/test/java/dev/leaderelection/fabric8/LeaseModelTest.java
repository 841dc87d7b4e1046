package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseRecord;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mapping between fabric8's typed Lease and the record, through fabric8's own serialization:
 * the bytes client-go writes, unknown fields kept, metadata of the base kept.
 */
class LeaseModelTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final Instant T1 = Instant.parse("2026-11-22T02:22:55.123456Z");
  private static final Instant T2 = Instant.parse("2026-11-22T02:23:05.000001Z");

  private static Map<?, ?> tree(Lease lease) {
    return JSON.unmarshal(JSON.asJson(lease), Map.class);
  }

  private static Map<?, ?> sub(Map<?, ?> m, String key) {
    return (Map<?, ?>) java.util.Objects.requireNonNull(m.get(key), key);
  }

  private static Lease parse(String json) {
    return JSON.unmarshal(json, Lease.class);
  }

  @ParameterizedTest
  @CsvSource({
    "2026-11-22T02:22:55.123456789Z, 2026-11-22T02:22:55.123456Z",
    "2026-11-22T02:22:55Z, 2026-11-22T02:22:55.000000Z",
    "2026-11-22T02:22:55.1Z, 2026-11-22T02:22:55.100000Z",
    "1970-01-01T00:00:00Z, 1970-01-01T00:00:00.000000Z",
    "2000-02-29T23:59:59.999999999Z, 2000-02-29T23:59:59.999999Z",
  })
  void timesAreWrittenAsGoMicroTimeTruncatedInUtc(String instant, String onTheWire) {
    LeaseRecord r = new LeaseRecord("me", 15, Instant.parse(instant), null, 0, null, null, null);
    Map<?, ?> spec = sub(tree(LeaseModel.forCreate("ns", "x", r)), "spec");
    assertThat(spec.get("acquireTime")).isEqualTo(onTheWire);
  }

  @Test
  void createWritesOnlyTheFieldsThatAreSetWithNameAndNamespace() {
    LeaseRecord r = new LeaseRecord("me", 15, T1, T1, 0, null, null, "ignored");
    Map<?, ?> body = tree(LeaseModel.forCreate("ns", "x", r));
    assertThat(body.get("apiVersion")).isEqualTo("coordination.k8s.io/v1");
    assertThat(body.get("kind")).isEqualTo("Lease");
    assertThat(body.get("metadata")).isEqualTo(Map.of("name", "x", "namespace", "ns"));
    assertThat(body.get("spec"))
        .isEqualTo(
            Map.of(
                "holderIdentity", "me",
                "leaseDurationSeconds", 15,
                "acquireTime", "2026-11-22T02:22:55.123456Z",
                "renewTime", "2026-11-22T02:22:55.123456Z",
                "leaseTransitions", 0));
  }

  @Test
  void releaseWritesAnEmptyHolderNotAnAbsentOne() {
    LeaseRecord released = new LeaseRecord("", 1, T1, T1, 4, null, null, "9");
    Map<?, ?> spec = sub(tree(LeaseModel.forUpdate("ns", "x", released, "9", null, null)), "spec");
    assertThat(spec.get("holderIdentity")).isEqualTo("");
    assertThat(spec.get("leaseDurationSeconds")).isEqualTo(1);
  }

  @Test
  void updateKeepsMetadataAndUnknownSpecFieldsOfItsBaseButDropsManagedFields() {
    Lease base =
        parse(
            "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{"
                + "\"name\":\"x\",\"namespace\":\"ns\",\"resourceVersion\":\"41\",\"uid\":\"base-uid\","
                + "\"labels\":{\"app\":\"demo\"},\"managedFields\":[{\"manager\":\"kubectl\"}]},"
                + "\"spec\":{\"holderIdentity\":\"old\",\"renewTime\":\"2026-11-22T02:22:55.123456Z\","
                + "\"futureField\":{\"nested\":[1,2]},\"preferredHolder\":\"b\"}}");
    LeaseRecord r = new LeaseRecord("new", 10, null, T2, 1, null, "b", "41");
    Map<?, ?> body = tree(LeaseModel.forUpdate("ns", "x", r, "41", base, "other-uid"));
    Map<?, ?> metadata = sub(body, "metadata");
    assertThat(metadata.get("labels")).isEqualTo(Map.of("app", "demo"));
    assertThat(metadata.get("resourceVersion")).isEqualTo("41");
    assertThat(metadata.get("uid")).isEqualTo("base-uid");
    assertThat(metadata.containsKey("managedFields")).isFalse();
    Map<?, ?> spec = sub(body, "spec");
    assertThat(spec.get("futureField")).isEqualTo(Map.of("nested", java.util.List.of(1, 2)));
    assertThat(spec.get("holderIdentity")).isEqualTo("new");
    assertThat(spec.get("renewTime")).isEqualTo("2026-11-22T02:23:05.000001Z");
    assertThat(spec.get("preferredHolder")).isEqualTo("b");
    assertThat(spec.containsKey("acquireTime"))
        .as("a field the record lacks is left out")
        .isFalse();
    assertThat(base.getMetadata().getManagedFields()).as("the base is not changed").hasSize(1);
  }

  @Test
  void updateWithoutBaseStillCarriesTheUidAsPrecondition() {
    LeaseRecord r = new LeaseRecord("a", 7, T1, T2, 2, null, null, "5");
    Map<?, ?> metadata =
        sub(tree(LeaseModel.forUpdate("ns", "x", r, "5", null, "the-uid")), "metadata");
    assertThat(metadata)
        .isEqualTo(
            Map.of("name", "x", "namespace", "ns", "uid", "the-uid", "resourceVersion", "5"));
  }

  @Test
  void everyFieldRoundTripsThroughTheWire() {
    LeaseRecord r = new LeaseRecord("a", 7, T1, T2, 2, "OldestEmulationVersion", "b", "5");
    Lease back = parse(JSON.asJson(LeaseModel.forUpdate("ns", "x", r, "5", null, null)));
    assertThat(LeaseModel.toRecord(back)).isEqualTo(r);
    LeaseRecord empty = LeaseRecord.empty().withVersion("5");
    assertThat(
            LeaseModel.toRecord(
                parse(JSON.asJson(LeaseModel.forUpdate("ns", "x", empty, "5", null, null)))))
        .isEqualTo(empty);
  }

  @Test
  void oddButValidValuesReadAsTheyAre() {
    Lease odd =
        parse(
            "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{"
                + "\"resourceVersion\":\"3\"},\"spec\":{\"holderIdentity\":\"\","
                + "\"leaseDurationSeconds\":-5,\"leaseTransitions\":2147483647}}");
    LeaseRecord r = LeaseModel.toRecord(odd);
    assertThat(r.isHeld()).isFalse();
    assertThat(r.leaseDurationSeconds()).isEqualTo(-5);
    assertThat(r.leaseTransitions()).isEqualTo(Integer.MAX_VALUE);
    assertThat(r.acquireTime()).isNull();
    assertThat(LeaseModel.toRecord(parse("{\"metadata\":{\"resourceVersion\":\"4\"}}")))
        .as("no spec at all")
        .isEqualTo(LeaseRecord.empty().withVersion("4"));
  }

  @Test
  void lastWriteIsTheNewestManagedFieldsTime() {
    Lease l =
        parse(
            "{\"metadata\":{\"resourceVersion\":\"42\",\"managedFields\":["
                + "{\"manager\":\"a\",\"time\":\"2026-11-22T08:00:00Z\"},"
                + "{\"manager\":\"b\",\"time\":\"2026-11-22T09:00:00Z\"},"
                + "{\"manager\":\"c\",\"time\":\"not a time\"},{\"manager\":\"d\"}]}}");
    assertThat(LeaseModel.lastWrite(l)).isEqualTo(Instant.parse("2026-11-22T09:00:00Z"));
    assertThat(LeaseModel.lastWrite(parse("{\"metadata\":{}}")))
        .as("no managedFields: unknown, never guessed from renewTime")
        .isNull();
  }
}
