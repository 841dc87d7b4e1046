package dev.leaderelection.fabric8;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Turns HTTP answers and transport failures into {@link LeaseLockException}s whose messages say
 * what failed (verb, Lease, API server) and, where the fix is known, how to fix it.
 */
final class LeaseErrors {
  private static final Pattern USER = Pattern.compile("User \"([^\"]*)\"");
  private static final Pattern SERVICE_ACCOUNT =
      Pattern.compile("system:serviceaccount:([^:]+):(.+)");

  private final String apiServer;
  private final String namespace;
  private final String name;

  LeaseErrors(String apiServer, String namespace, String name) {
    this.apiServer = apiServer;
    this.namespace = namespace;
    this.name = name;
  }

  private String lease() {
    return "Lease " + namespace + "/" + name;
  }

  /**
   * The exception for a non-success HTTP answer.
   *
   * @param verb the Kubernetes verb: get, create, update, list, watch
   * @param code the HTTP status
   * @param status the parsed {@code Status} body, or an empty map
   * @param retryAfterHeader the {@code Retry-After} header, if any
   */
  LeaseLockException fromStatus(
      String verb, int code, Map<?, ?> status, @Nullable String retryAfterHeader) {
    String serverSaid = LeaseJson.string(status.get("message"));
    String said = serverSaid == null ? "" : " The API server said: " + serverSaid;
    Map<?, ?> details = LeaseJson.map(status.get("details"));
    String kind = LeaseJson.string(details.get("kind"));
    switch (code) {
      case 409 -> {
        if (serverSaid != null && serverSaid.contains("Precondition failed: UID")) {
          return new LeaseLockException(
              Reason.NOT_FOUND,
              verb + " of " + lease() + " failed: it was deleted since it was read." + said,
              null);
        }
        return new LeaseLockException(
            Reason.CONFLICT,
            verb.equals("create")
                ? "create of " + lease() + " lost a race: it exists already." + said
                : verb + " of " + lease() + " lost a race: it changed since it was read." + said,
            null);
      }
      case 404 -> {
        if ("namespaces".equals(kind)) {
          return new LeaseLockException(
              Reason.NOT_FOUND,
              verb
                  + " of "
                  + lease()
                  + " failed: namespace \""
                  + namespace
                  + "\" does not exist. Create it, or give the lock an existing namespace"
                  + " (KubernetesLeaseLock.builder(client).namespace(...)).",
              null);
        }
        return new LeaseLockException(
            Reason.NOT_FOUND, verb + " of " + lease() + " failed: it does not exist." + said, null);
      }
      case 401 -> {
        return new LeaseLockException(
            Reason.FORBIDDEN,
            verb
                + " of "
                + lease()
                + " failed: the API server at "
                + apiServer
                + " rejected the client's credentials (HTTP 401 Unauthorized). Check the token or"
                + " certificate the client is configured with."
                + said,
            null);
      }
      case 403 -> {
        return forbidden(verb, serverSaid);
      }
      case 429 -> {
        return new LeaseLockException(
            Reason.THROTTLED,
            "the API server at "
                + apiServer
                + " throttled the "
                + verb
                + " of "
                + lease()
                + " (HTTP 429 Too Many Requests)."
                + said,
            null,
            retryAfter(retryAfterHeader, details));
      }
      case 400, 422 -> {
        return new LeaseLockException(
            Reason.INVALID,
            "the API server rejected the "
                + verb
                + " of "
                + lease()
                + " as invalid (HTTP "
                + code
                + ")."
                + said,
            null);
      }
      default -> {
        if (code >= 500) {
          return new LeaseLockException(
              Reason.UNAVAILABLE,
              "the API server at "
                  + apiServer
                  + " failed the "
                  + verb
                  + " of "
                  + lease()
                  + " (HTTP "
                  + code
                  + ")."
                  + said,
              null,
              retryAfter(retryAfterHeader, details));
        }
        return new LeaseLockException(
            Reason.OTHER,
            "the API server at "
                + apiServer
                + " answered HTTP "
                + code
                + " to the "
                + verb
                + " of "
                + lease()
                + "."
                + said,
            null);
      }
    }
  }

  private LeaseLockException forbidden(String verb, @Nullable String serverSaid) {
    String user = null;
    if (serverSaid != null) {
      Matcher m = USER.matcher(serverSaid);
      if (m.find()) {
        user = m.group(1);
      }
    }
    String who = user == null ? "the client's identity" : "user \"" + user + "\"";
    String subject = "--user=" + (user == null ? "<user>" : user);
    if (user != null) {
      Matcher sa = SERVICE_ACCOUNT.matcher(user);
      if (sa.matches()) {
        subject = "--serviceaccount=" + sa.group(1) + ":" + sa.group(2);
      }
    }
    return new LeaseLockException(
        Reason.FORBIDDEN,
        "forbidden: "
            + who
            + " may not "
            + verb
            + " "
            + lease()
            + " (HTTP 403). Leader election needs a Role in namespace \""
            + namespace
            + "\" with the rule {apiGroups: [\"coordination.k8s.io\"], resources: [\"leases\"],"
            + " verbs: [\"get\", \"create\", \"update\"]} (add \"list\" and \"watch\" to let"
            + " followers watch the Lease), bound to that identity with a RoleBinding. For"
            + " example: kubectl -n "
            + namespace
            + " create role leader-election --verb=get,create,update,list,watch"
            + " --resource=leases.coordination.k8s.io && kubectl -n "
            + namespace
            + " create rolebinding leader-election --role=leader-election "
            + subject
            + "."
            + (serverSaid == null ? "" : " The API server said: " + serverSaid),
        null);
  }

  /** The exception for a call that got no HTTP answer. */
  LeaseLockException transport(String verb, Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof LeaseLockException e) {
      return e;
    }
    String what = t.getMessage() == null ? t.getClass().getName() : t.toString();
    if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
      return new LeaseLockException(
          Reason.TIMEOUT,
          verb
              + " of "
              + lease()
              + " got no answer from the API server at "
              + apiServer
              + ": "
              + what,
          t);
    }
    if (t instanceof IOException || t instanceof CancellationException) {
      return new LeaseLockException(
          Reason.UNAVAILABLE,
          verb
              + " of "
              + lease()
              + " failed: cannot reach the API server at "
              + apiServer
              + ": "
              + what,
          t);
    }
    return new LeaseLockException(
        Reason.OTHER,
        verb + " of " + lease() + " failed (API server " + apiServer + "): " + what,
        t);
  }

  /** The exception for a call that did not finish within its time. */
  LeaseLockException timeout(String verb, Duration timeout) {
    return new LeaseLockException(
        Reason.TIMEOUT,
        verb
            + " of "
            + lease()
            + " got no answer from the API server at "
            + apiServer
            + " within "
            + timeout.toMillis()
            + " ms",
        null);
  }

  /** The exception for a success answer whose body this library cannot read. */
  LeaseLockException unreadable(String verb, @Nullable Throwable cause) {
    return new LeaseLockException(
        Reason.INVALID,
        "the API server at "
            + apiServer
            + " answered the "
            + verb
            + " of "
            + lease()
            + " with a body that is not a Lease"
            + (cause == null ? "" : ": " + cause),
        cause);
  }

  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /**
   * The server's back-off hint: the {@code Retry-After} header (seconds or an HTTP date), else
   * {@code details.retryAfterSeconds} of the Status.
   */
  static @Nullable Duration retryAfter(@Nullable String header, Map<?, ?> details) {
    if (header != null && !header.isBlank()) {
      String h = header.trim();
      try {
        long s = Long.parseLong(h);
        return s >= 0 ? Duration.ofSeconds(s) : null;
      } catch (NumberFormatException e) {
        try {
          ZonedDateTime at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME);
          Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
          return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e2) {
          // fall through to the Status
        }
      }
    }
    Integer s = LeaseJson.int32(details.get("retryAfterSeconds"));
    return s == null || s < 0 ? null : Duration.ofSeconds(s);
  }
}
