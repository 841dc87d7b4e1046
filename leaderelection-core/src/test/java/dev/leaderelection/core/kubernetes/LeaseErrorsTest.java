package dev.leaderelection.core.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import java.net.ConnectException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LeaseErrorsTest {
  private final LeaseErrors errors =
      new LeaseErrors("https://api:6443", "team-a", "my-lease", "the-namespace-setting");

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
    assertThat(errors.fromStatus("update", code, null, null, null, null).reason())
        .isEqualTo(reason);
  }

  @Test
  void forbiddenNamesUserVerbLeaseAndTheRuleToAdd() {
    String said =
        "leases.coordination.k8s.io \"my-lease\" is forbidden: User"
            + " \"system:serviceaccount:team-a:worker\" cannot update resource \"leases\" in API"
            + " group \"coordination.k8s.io\" in the namespace \"team-a\"";
    LeaseLockException e = errors.fromStatus("update", 403, said, null, null, null);
    assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
    assertThat(e.getMessage())
        .contains("user \"system:serviceaccount:team-a:worker\"")
        .contains("may not update Lease team-a/my-lease")
        .contains("namespace \"team-a\"")
        .contains(LeaseRbac.rulesInline("my-lease"))
        .contains(
            "resourceNames: [\"my-lease\"], verbs: [\"get\", \"update\", \"list\", \"watch\"]")
        .contains("verbs: [\"create\"]")
        .contains(
            "kubectl -n team-a create role leader-election-my-lease --verb=get,update,list,watch"
                + " --resource=leases.coordination.k8s.io --resource-name=my-lease")
        .contains(
            "kubectl -n team-a create rolebinding leader-election-my-lease"
                + " --role=leader-election-my-lease --serviceaccount=team-a:worker && kubectl -n team-a"
                + " create role leader-election-my-lease-create --verb=create")
        .contains("--role=leader-election-my-lease-create --serviceaccount=team-a:worker")
        .contains(said);
  }

  @Test
  void forbiddenForAPlainUserSuggestsAUserBinding() {
    LeaseLockException e =
        errors.fromStatus(
            "get", 403, "... User \"jane\" cannot get resource ...", null, null, null);
    assertThat(e.getMessage()).contains("user \"jane\" may not get").contains("--user=jane");
  }

  @Test
  void missingNamespaceSaysSo() {
    LeaseLockException e =
        errors.fromStatus(
            "create", 404, "namespaces \"team-a\" not found", "namespaces", null, null);
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage())
        .contains("namespace \"team-a\" does not exist")
        .contains("kubectl create namespace team-a")
        .contains("the-namespace-setting");
  }

  @Test
  void throttlingCarriesRetryAfterFromHeaderOrStatus() {
    assertThat(errors.fromStatus("update", 429, null, null, "7", null).retryAfter())
        .contains(Duration.ofSeconds(7));
    assertThat(errors.fromStatus("update", 429, null, null, null, 3).retryAfter())
        .contains(Duration.ofSeconds(3));
    assertThat(errors.fromStatus("update", 429, null, null, null, null).retryAfter()).isEmpty();
    assertThat(errors.fromStatus("update", 429, null, null, "soon", null).retryAfter()).isEmpty();
  }

  @Test
  void retryAfterAcceptsAnHttpDate() {
    String in10s =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(10));
    Duration d = ServerTime.retryAfter(in10s, null);
    assertThat(d).isNotNull().isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));
    String past =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(10));
    assertThat(ServerTime.retryAfter(past, null)).isEqualTo(Duration.ZERO);
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
    LeaseLockException e = errors.fromStatus("update", 409, said, null, null, null);
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage()).contains("deleted");
  }

  @Test
  void writtenAgoIsTheServerDateAgainstTheLastWriteLessOneSecondNeverNegative() {
    java.time.Instant lastWrite = java.time.Instant.parse("2026-11-22T09:00:00Z");
    assertThat(ServerTime.writtenAgo("Sun, 22 Nov 2026 10:00:00 GMT", lastWrite))
        .isEqualTo(Duration.ofMinutes(60).minusSeconds(1));
    assertThat(ServerTime.writtenAgo("Sun, 22 Nov 2026 09:00:00 GMT", lastWrite))
        .isEqualTo(Duration.ZERO);
    assertThat(ServerTime.writtenAgo("yesterday", lastWrite)).isNull();
    assertThat(ServerTime.writtenAgo(null, lastWrite)).isNull();
    assertThat(ServerTime.writtenAgo("Sun, 22 Nov 2026 10:00:00 GMT", null)).isNull();
  }

  @Test
  void leaseNamesFollowKubernetesRulesAndFreeTextIsMadeValid() {
    assertThat(LeaseNames.isValidName("my-controller.v2")).isTrue();
    assertThat(LeaseNames.isValidName("My_Controller")).isFalse();
    assertThat(LeaseNames.isValidName("a".repeat(254))).isFalse();
    assertThat(LeaseNames.isValidNamespace("team-a")).isTrue();
    assertThat(LeaseNames.isValidNamespace("team.a")).isFalse();
    assertThat(LeaseNames.fromText("  My_App (prod)  ")).isEqualTo("my-app-prod");
    assertThat(LeaseNames.fromText("__")).isNull();
  }

  @Test
  void kubectlBindsAServiceAccountOrAUserOrSaysWhatToFillIn() {
    assertThat(LeaseRbac.kubectl("ns", "l", "system:serviceaccount:ns:sa").get(1))
        .endsWith("--serviceaccount=ns:sa");
    assertThat(LeaseRbac.kubectl("ns", "l", "jane").get(3)).endsWith("--user=jane");
    assertThat(LeaseRbac.kubectl("ns", "l", null).get(1))
        .endsWith("--serviceaccount=<namespace>:<service-account>");
    assertThat(LeaseRbac.kubectlDropCreate("ns", "l"))
        .isEqualTo("kubectl -n ns delete rolebinding,role leader-election-l-create");
  }

  /** Vert.x 4's type for a connection closed before the answer; it is no IOException. */
  static final class HttpClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HttpClosedException() {
      super("Connection was closed");
    }
  }

  @Test
  void aConnectionClosedBeforeTheAnswerIsUnavailableWhateverTheClientsType() {
    assertThat(errors.transport("get", new CompletionException(new HttpClosedException())).reason())
        .isEqualTo(Reason.UNAVAILABLE);
    assertThat(
            errors
                .transport(
                    "get", new IllegalStateException("wrapped", new java.io.EOFException("eof")))
                .reason())
        .isEqualTo(Reason.UNAVAILABLE);
    assertThat(errors.transport("get", new IllegalArgumentException("bad uri")).reason())
        .isEqualTo(Reason.OTHER);
  }
}
