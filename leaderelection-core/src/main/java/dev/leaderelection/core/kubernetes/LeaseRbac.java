package dev.leaderelection.core.kubernetes;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The least-privilege RBAC rules for one election, in the words every message and document of this
 * library uses: a Role that allows {@code get, update, list, watch} on the one Lease by name, and a
 * second Role that allows {@code create} on Leases, because Kubernetes cannot limit a create to a
 * name (the name is in the request body, not the URL). The second one can be removed once the Lease
 * exists. {@code list} and {@code watch} are used only by the followers' watch (with a field
 * selector on the Lease's name, which the API server authorizes against {@code resourceNames}).
 */
public final class LeaseRbac {

  /** The verbs the election cannot work without. */
  public static final List<String> VERBS = List.of("get", "create", "update");

  /** The verbs the followers' watch needs; without them the election polls. */
  public static final List<String> WATCH_VERBS = List.of("list", "watch");

  private static final String SA_PREFIX = "system:serviceaccount:";

  private LeaseRbac() {}

  /**
   * The Role names used in the commands: {@code leader-election-<lease>} for the named rule and
   * {@code leader-election-<lease>-create} for the create rule.
   *
   * @param lease the Lease's name
   * @return the name of the Role with the named rule
   */
  public static String roleName(String lease) {
    return "leader-election-" + lease;
  }

  /**
   * The two rules as Role YAML, one line each item, indented by two spaces.
   *
   * @param lease the Lease's name
   * @return the rules, ending with a line separator
   */
  public static String rulesYaml(String lease) {
    String nl = System.lineSeparator();
    return "  - apiGroups: [\"coordination.k8s.io\"]"
        + nl
        + "    resources: [\"leases\"]"
        + nl
        + "    resourceNames: [\""
        + lease
        + "\"]"
        + nl
        + "    verbs: [\"get\", \"update\", \"list\", \"watch\"]"
        + nl
        + "  - apiGroups: [\"coordination.k8s.io\"]   # create cannot be limited to one name;"
        + nl
        + "    resources: [\"leases\"]                # remove this rule once the Lease exists"
        + nl
        + "    verbs: [\"create\"]"
        + nl;
  }

  /**
   * The two rules on one line, for exception messages.
   *
   * @param lease the Lease's name
   * @return the rules
   */
  public static String rulesInline(String lease) {
    return "{apiGroups: [\"coordination.k8s.io\"], resources: [\"leases\"], resourceNames: [\""
        + lease
        + "\"], verbs: [\"get\", \"update\", \"list\", \"watch\"]} and {apiGroups:"
        + " [\"coordination.k8s.io\"], resources: [\"leases\"], verbs: [\"create\"]} (a create"
        + " cannot be limited to one name; that rule can go once the Lease exists; list and watch"
        + " only serve the followers' watch)";
  }

  /**
   * The kubectl commands that create both Roles and bind them, in the order to run them: the named
   * Role and its binding, then the create Role and its binding ({@code kubectl create role} puts
   * {@code --resource-name} on every rule it writes, so {@code create} needs a Role of its own).
   *
   * @param namespace the Lease's namespace
   * @param lease the Lease's name
   * @param user the user to bind, as the API server names it (a ServiceAccount is {@code
   *     system:serviceaccount:<namespace>:<name>}), or {@code null} for a placeholder
   * @return the four commands
   */
  public static List<String> kubectl(String namespace, String lease, @Nullable String user) {
    String role = roleName(lease);
    String k = "kubectl -n " + namespace + " ";
    String subject = subject(user);
    return List.of(
        k
            + "create role "
            + role
            + " --verb=get,update,list,watch --resource=leases.coordination.k8s.io --resource-name="
            + lease,
        k + "create rolebinding " + role + " --role=" + role + " " + subject,
        k + "create role " + role + "-create --verb=create --resource=leases.coordination.k8s.io",
        k + "create rolebinding " + role + "-create --role=" + role + "-create " + subject);
  }

  /**
   * The kubectl command that removes the create rule once the Lease exists.
   *
   * @param namespace the Lease's namespace
   * @param lease the Lease's name
   * @return the command
   */
  public static String kubectlDropCreate(String namespace, String lease) {
    return "kubectl -n " + namespace + " delete rolebinding,role " + roleName(lease) + "-create";
  }

  /**
   * The kubectl subject flag for {@code user}.
   *
   * @param user the user as the API server names it, or {@code null}
   * @return {@code --serviceaccount=ns:name} for a ServiceAccount, else {@code --user=...}
   */
  static String subject(@Nullable String user) {
    if (user == null) {
      return "--serviceaccount=<namespace>:<service-account>";
    }
    if (user.startsWith(SA_PREFIX) && user.indexOf(':', SA_PREFIX.length()) > 0) {
      return "--serviceaccount=" + user.substring(SA_PREFIX.length());
    }
    return "--user=" + user;
  }
}
