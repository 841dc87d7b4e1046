package dev.leaderelection.core.kubernetes;

import dev.leaderelection.core.LeaseLockException;
import dev.leaderelection.core.LeaseLockException.Reason;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LeaseLockException}s of one Lease's calls, with messages that say what failed (verb,
 * Lease, API server) and, where the fix is known, how to fix it: a {@code 403} names the user and
 * the least-privilege rule with the kubectl commands ({@link LeaseRbac}), a missing namespace says
 * so, an unreachable API server names its URL, a {@code 429} carries the server's back-off.
 *
 * <p>Every backend uses this class, so that the same failure reads the same whatever the client.
 */
public final class LeaseErrors {
  private static final Pattern USER = Pattern.compile("User \"([^\"]*)\"");

  private final String apiServer;
  private final String namespace;
  private final String name;
  private final String namespaceSetting;

  /**
   * Creates the messages of one Lease.
   *
   * @param apiServer the API server's URL
   * @param namespace the Lease's namespace
   * @param name the Lease's name
   * @param namespaceSetting how a user sets the namespace, for the missing-namespace message (a
   *     builder call or a property)
   */
  public LeaseErrors(String apiServer, String namespace, String name, String namespaceSetting) {
    this.apiServer = apiServer;
    this.namespace = namespace;
    this.name = name;
    this.namespaceSetting = namespaceSetting;
  }

  private String lease() {
    return "Lease " + namespace + "/" + name;
  }

  /**
   * The exception for an HTTP answer that is not a success.
   *
   * @param verb the Kubernetes verb: get, create, update, list, watch
   * @param code the HTTP status
   * @param serverMessage the {@code message} of the {@code Status} body, if any
   * @param detailsKind the {@code details.kind} of the {@code Status} body, if any
   * @param retryAfterHeader the {@code Retry-After} header, if any
   * @param retryAfterSeconds the {@code details.retryAfterSeconds} of the {@code Status}, if any
   * @return the exception
   */
  public LeaseLockException fromStatus(
      String verb,
      int code,
      @Nullable String serverMessage,
      @Nullable String detailsKind,
      @Nullable String retryAfterHeader,
      @Nullable Integer retryAfterSeconds) {
    String said = serverMessage == null ? "" : " The API server said: " + serverMessage;
    String of = verb + " of " + lease();
    switch (code) {
      case 409 -> {
        if (serverMessage != null && serverMessage.contains("Precondition failed: UID")) {
          return fail(Reason.NOT_FOUND, of + " failed: it was deleted since it was read." + said);
        }
        return fail(
            Reason.CONFLICT,
            verb.equals("create")
                ? of + " lost a race: it exists already." + said
                : of + " lost a race: it changed since it was read." + said);
      }
      case 404 -> {
        if ("namespaces".equals(detailsKind)) {
          return fail(
              Reason.NOT_FOUND,
              of
                  + " failed: namespace \""
                  + namespace
                  + "\" does not exist. Create it (kubectl create namespace "
                  + namespace
                  + "), or give the lock an existing namespace ("
                  + namespaceSetting
                  + ").");
        }
        return fail(Reason.NOT_FOUND, of + " failed: it does not exist." + said);
      }
      case 401 -> {
        return fail(
            Reason.FORBIDDEN,
            of
                + " failed: the API server at "
                + apiServer
                + " rejected the client's credentials (HTTP 401 Unauthorized). Check the token or"
                + " certificate the client is configured with."
                + said);
      }
      case 403 -> {
        return forbidden(verb, serverMessage);
      }
      case 429 -> {
        return new LeaseLockException(
            Reason.THROTTLED,
            "the API server at " + apiServer + " throttled the " + of + " (HTTP 429)." + said,
            null,
            ServerTime.retryAfter(retryAfterHeader, retryAfterSeconds));
      }
      case 400, 422 -> {
        return fail(
            Reason.INVALID,
            "the API server rejected the " + of + " as invalid (HTTP " + code + ")." + said);
      }
      default -> {
        if (code >= 500) {
          return new LeaseLockException(
              Reason.UNAVAILABLE,
              "the API server at "
                  + apiServer
                  + " failed the "
                  + of
                  + " (HTTP "
                  + code
                  + ")."
                  + said,
              null,
              ServerTime.retryAfter(retryAfterHeader, retryAfterSeconds));
        }
        return fail(
            Reason.OTHER,
            "the API server at "
                + apiServer
                + " answered HTTP "
                + code
                + " to the "
                + of
                + "."
                + said);
      }
    }
  }

  private LeaseLockException forbidden(String verb, @Nullable String serverMessage) {
    String user = null;
    if (serverMessage != null) {
      Matcher m = USER.matcher(serverMessage);
      if (m.find()) {
        user = m.group(1);
      }
    }
    return fail(
        Reason.FORBIDDEN,
        "forbidden: "
            + (user == null ? "the client's identity" : "user \"" + user + "\"")
            + " may not "
            + verb
            + " "
            + lease()
            + " (HTTP 403). Leader election needs, in namespace \""
            + namespace
            + "\", Roles with the rules "
            + LeaseRbac.rulesInline(name)
            + ", bound to that identity. For example: "
            + String.join(" && ", LeaseRbac.kubectl(namespace, name, user))
            + "."
            + (serverMessage == null ? "" : " The API server said: " + serverMessage));
  }

  /**
   * The exception for a call that got no HTTP answer.
   *
   * @param verb the verb
   * @param failure what the HTTP client failed with
   * @return the exception ({@code failure} itself if it is one already)
   */
  public LeaseLockException transport(String verb, Throwable failure) {
    Throwable t = LeaseLockException.unwrap(failure);
    if (t instanceof LeaseLockException lle) {
      return lle;
    }
    String what = t.getMessage() == null ? t.getClass().getName() : t.toString();
    String of = verb + " of " + lease();
    if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
      return new LeaseLockException(
          Reason.TIMEOUT,
          of + " got no answer from the API server at " + apiServer + ": " + what,
          t);
    }
    if (connectionFailure(t)) {
      return new LeaseLockException(
          Reason.UNAVAILABLE,
          of + " failed: cannot reach the API server at " + apiServer + ": " + what,
          t);
    }
    return new LeaseLockException(
        Reason.OTHER, of + " failed (API server " + apiServer + "): " + what, t);
  }

  /**
   * The exception for a call that did not finish within its time.
   *
   * @param verb the verb
   * @param timeout the time it had
   * @return the exception
   */
  public LeaseLockException timeout(String verb, Duration timeout) {
    return fail(
        Reason.TIMEOUT,
        verb
            + " of "
            + lease()
            + " got no answer from the API server at "
            + apiServer
            + " within "
            + timeout.toMillis()
            + " ms");
  }

  /**
   * The exception for an update without the version it is based on, which would not be a
   * compare-and-swap.
   *
   * @return the exception
   */
  public LeaseLockException noVersion() {
    return fail(
        Reason.INVALID,
        "update of "
            + lease()
            + " needs the version it is based on;"
            + " an update without one would not be a compare-and-swap");
  }

  /**
   * The exception for a success answer whose body is not a Lease.
   *
   * @param verb the verb
   * @param cause why it could not be read, if known
   * @return the exception
   */
  public LeaseLockException unreadable(String verb, @Nullable Throwable cause) {
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

  /**
   * Whether {@code t} says the connection failed: an {@link IOException} or a cancellation anywhere
   * in its causes, or an HTTP client's own "connection closed" type (Vert.x's {@code
   * HttpClosedException} is no {@code IOException}).
   */
  private static boolean connectionFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String n = c.getClass().getSimpleName();
      if (c instanceof IOException
          || c instanceof CancellationException
          || n.contains("Closed")
          || n.contains("Connect")) {
        return true;
      }
    }
    return false;
  }

  private static LeaseLockException fail(Reason reason, String message) {
    return new LeaseLockException(reason, message, null);
  }
}
