package dev.leaderelection.core.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The rules for a Lease's name and namespace, and where a pod finds its own namespace. */
public final class LeaseNames {

  /** Where a pod finds its own namespace: the ServiceAccount volume's {@code namespace} file. */
  public static final Path POD_NAMESPACE_FILE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  /** What a Lease name must be, for messages. */
  public static final String NAME_RULE =
      "a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter"
          + " or digit, at most 253 characters";

  /** What a namespace name must be, for messages. */
  public static final String NAMESPACE_RULE =
      "a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit,"
          + " at most 63 characters";

  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern NOT_ALLOWED = Pattern.compile("[^a-z0-9.-]+");
  private static final Pattern EDGES = Pattern.compile("^[^a-z0-9]+|[^a-z0-9]+$");

  private LeaseNames() {}

  /**
   * {@return whether {@code name} is a valid Lease name ({@link #NAME_RULE})}
   *
   * @param name the name
   */
  public static boolean isValidName(String name) {
    return name.length() <= 253 && DNS_SUBDOMAIN.matcher(name).matches();
  }

  /**
   * {@return whether {@code namespace} is a valid namespace name ({@link #NAMESPACE_RULE})}
   *
   * @param namespace the namespace
   */
  public static boolean isValidNamespace(String namespace) {
    return namespace.length() <= 63 && DNS_LABEL.matcher(namespace).matches();
  }

  /**
   * A valid Lease name made from free text such as an application's name: lower-cased, each run of
   * characters a name may not have replaced by {@code '-'}, edges trimmed, cut to 253.
   *
   * @param text the text
   * @return the name, or {@code null} if nothing valid is left
   */
  public static @Nullable String fromText(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    s = NOT_ALLOWED.matcher(s).replaceAll("-");
    s = s.replaceAll("\\.{2,}", ".").replaceAll("-*\\.-*", ".");
    s = EDGES.matcher(s).replaceAll("");
    if (s.length() > 253) {
      s = EDGES.matcher(s.substring(0, 253)).replaceAll("");
    }
    return s.isEmpty() ? null : s;
  }

  /**
   * The namespace of the pod this process runs in.
   *
   * @param file the namespace file, normally {@link #POD_NAMESPACE_FILE}
   * @return the namespace, or {@code null} when not in a pod (no such file, or it is empty)
   */
  public static @Nullable String podNamespace(Path file) {
    try {
      if (Files.isRegularFile(file)) {
        String s = Files.readString(file, StandardCharsets.UTF_8).trim();
        return s.isEmpty() ? null : s;
      }
    } catch (IOException e) {
      // not readable: not this pod's namespace to use
    }
    return null;
  }
}
