package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import java.net.ConnectException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LeaseErrorsTest {
  private final LeaseErrors errors = new LeaseErrors("https://api:6443", "team-a", "my-lease");

  @ParameterizedTest
  @CsvSource({
    "409, CONFLICT",
    "404, NOT_FOUND",
    "401, FORBIDDEN",
    "403, FORBIDDEN",
    "429, THROTTLED",
    "400, INVALID",
    "422, INVALID",
    "500, UNAVAILABLE",
    "503, UNAVAILABLE",
    "504, UNAVAILABLE",
    "418, OTHER",
  })
  void mapsStatusCodes(int code, Reason reason) {
    assertThat(errors.fromStatus("update", code, Map.of(), null).reason()).isEqualTo(reason);
  }

  @Test
  void forbiddenNamesUserVerbLeaseAndTheRuleToAdd() {
    String said =
        "leases.coordination.k8s.io \"my-lease\" is forbidden: User"
            + " \"system:serviceaccount:team-a:worker\" cannot update resource \"leases\" in API"
            + " group \"coordination.k8s.io\" in the namespace \"team-a\"";
    LeaseLockException e = errors.fromStatus("update", 403, Map.of("message", said), null);
    assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
    assertThat(e.getMessage())
        .contains("user \"system:serviceaccount:team-a:worker\"")
        .contains("may not update Lease team-a/my-lease")
        .contains("namespace \"team-a\"")
        .contains("apiGroups: [\"coordination.k8s.io\"]")
        .contains("resources: [\"leases\"]")
        .contains("verbs: [\"get\", \"create\", \"update\"]")
        .contains("\"list\" and \"watch\"")
        .contains("--serviceaccount=team-a:worker")
        .contains(said);
  }

  @Test
  void forbiddenForAPlainUserSuggestsAUserBinding() {
    LeaseLockException e =
        errors.fromStatus(
            "get", 403, Map.of("message", "... User \"jane\" cannot get resource ..."), null);
    assertThat(e.getMessage()).contains("user \"jane\" may not get").contains("--user=jane");
  }

  @Test
  void missingNamespaceSaysSo() {
    Map<String, Object> status =
        Map.of(
            "message",
            "namespaces \"team-a\" not found",
            "details",
            Map.of("name", "team-a", "kind", "namespaces"));
    LeaseLockException e = errors.fromStatus("create", 404, status, null);
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage()).contains("namespace \"team-a\" does not exist");
  }

  @Test
  void throttlingCarriesRetryAfterFromHeaderOrStatus() {
    assertThat(errors.fromStatus("update", 429, Map.of(), "7").retryAfter())
        .contains(Duration.ofSeconds(7));
    Map<String, Object> status = Map.of("details", Map.of("retryAfterSeconds", 3));
    assertThat(errors.fromStatus("update", 429, status, null).retryAfter())
        .contains(Duration.ofSeconds(3));
    assertThat(errors.fromStatus("update", 429, Map.of(), null).retryAfter()).isEmpty();
    assertThat(errors.fromStatus("update", 429, Map.of(), "soon").retryAfter()).isEmpty();
  }

  @Test
  void retryAfterAcceptsAnHttpDate() {
    String in10s =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(10));
    Duration d = LeaseErrors.retryAfter(in10s, Map.of());
    assertThat(d).isNotNull().isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));
    String past =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(10));
    assertThat(LeaseErrors.retryAfter(past, Map.of())).isEqualTo(Duration.ZERO);
  }

  @Test
  void unreachableServerIsUnavailableAndNamesTheUrl() {
    LeaseLockException e =
        errors.transport(
            "get", new CompletionException(new ConnectException("Connection refused")));
    assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
    assertThat(e.getMessage()).contains("https://api:6443").contains("Connection refused");
  }

  @Test
  void timeoutNamesTheBudget() {
    LeaseLockException e = errors.timeout("update", Duration.ofMillis(1500));
    assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
    assertThat(e.getMessage()).contains("update of Lease team-a/my-lease").contains("1500 ms");
  }

  @Test
  void aFailedUidPreconditionMeansTheLeaseWasDeleted() {
    String said =
        "Operation cannot be fulfilled on leases.coordination.k8s.io \"my-lease\": StorageError:"
            + " invalid object, Code: 4, Key: /registry/leases/team-a/my-lease, ResourceVersion: 0,"
            + " AdditionalErrorMsg: Precondition failed: UID in precondition: 1234, UID in object"
            + " meta: ";
    LeaseLockException e = errors.fromStatus("update", 409, Map.of("message", said), null);
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage()).contains("deleted");
  }
}
