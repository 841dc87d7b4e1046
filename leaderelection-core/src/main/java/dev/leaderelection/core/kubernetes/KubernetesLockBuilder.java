package dev.leaderelection.core.kubernetes;

import dev.leaderelection.core.LeaseIdentity;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What every builder of a {@link KubernetesLock} takes, whatever its client: the Lease's name and
 * namespace, the identity, whether to watch, and how the application names its namespace setting;
 * with the same rules and messages for each backend. Not thread-safe; use from one thread.
 *
 * @param <B> the concrete builder
 */
public abstract class KubernetesLockBuilder<B extends KubernetesLockBuilder<B>> {
  private final String builderCall;
  private @Nullable String name;
  private @Nullable String namespace;
  private @Nullable String identity;
  private boolean watch = true;
  private Path namespaceFile = LeaseNames.POD_NAMESPACE_FILE;
  private String namespaceSetting;

  /**
   * A builder.
   *
   * @param builderCall how users start this builder, for messages, such as {@code
   *     KubernetesLeaseLock.builder(client)}
   */
  protected KubernetesLockBuilder(String builderCall) {
    this.builderCall = builderCall;
    this.namespaceSetting = builderCall + ".namespace(...)";
  }

  /** {@return this builder as its concrete type} */
  protected abstract B self();

  /**
   * The Lease's name (required): a DNS subdomain, such as {@code my-controller}.
   *
   * @param name the Lease's name
   * @return this builder
   */
  public B name(String name) {
    this.name = name;
    return self();
  }

  /**
   * The Lease's namespace. If not set: the pod's own namespace (from the service-account namespace
   * file), else what the client is configured with, if its kind of client has one; never a silent
   * {@code default}. {@code build()} fails if none of these is known.
   *
   * @param namespace the Lease's namespace
   * @return this builder
   */
  public B namespace(String namespace) {
    this.namespace = namespace;
    return self();
  }

  /**
   * The identity this candidate writes as holder; by default {@link
   * LeaseIdentity#defaultIdentity()} (pod or host name plus a random suffix). Must be unique among
   * the candidates: a record naming this identity that this process did not write is taken for
   * another process's, and reported.
   *
   * @param identity the holder identity, not empty
   * @return this builder
   */
  public B identity(String identity) {
    this.identity = identity;
    return self();
  }

  /**
   * Whether the lock watches the Lease (default {@code true}). Without it the election polls, and
   * the Role needs no {@code list} and {@code watch}.
   *
   * @param watch whether to watch
   * @return this builder
   */
  public B watch(boolean watch) {
    this.watch = watch;
    return self();
  }

  /**
   * How the application sets the namespace, as the error messages of a missing namespace name it
   * (default: the builder's own {@code namespace(...)}). An integration that reads the namespace
   * from its own configuration gives its setting here, such as the Spring starter's {@code
   * leaderelection.namespace}.
   *
   * @param setting the setting, as users write it
   * @return this builder
   */
  public B namespaceSetting(String setting) {
    this.namespaceSetting = Objects.requireNonNull(setting, "setting");
    return self();
  }

  /**
   * For tests: where the pod's namespace is read from.
   *
   * @param file the file
   * @return this builder
   */
  protected B podNamespaceFile(Path file) {
    this.namespaceFile = file;
    return self();
  }

  /**
   * The validated settings.
   *
   * @param name the Lease's name
   * @param namespace its namespace
   * @param identity the holder identity
   * @param watch whether to watch
   * @param namespaceSetting how the application sets the namespace
   */
  public record Settings(
      String name, String namespace, String identity, boolean watch, String namespaceSetting) {}

  /**
   * Checks and completes the settings.
   *
   * @param clientNamespace the namespace the client is configured with, if its kind has one
   * @param noClientNamespace what to say of the client when no namespace is found, such as {@code
   *     ", and the client has no namespace configured"}
   * @return the settings
   * @throws IllegalArgumentException if the name, namespace or identity is missing or malformed
   * @throws IllegalStateException if no namespace was given and none can be found
   */
  protected final Settings settings(@Nullable String clientNamespace, String noClientNamespace) {
    String n = name;
    if (n == null || n.isEmpty()) {
      throw new IllegalArgumentException("name is required: " + builderCall + ".name(\"...\")");
    }
    if (!LeaseNames.isValidName(n)) {
      throw new IllegalArgumentException(
          "name \"" + n + "\" is not a valid Lease name (" + LeaseNames.NAME_RULE + ")");
    }
    String ns = namespace;
    if (ns == null) {
      ns = LeaseNames.podNamespace(namespaceFile);
    }
    if (ns == null && clientNamespace != null && !clientNamespace.isBlank()) {
      ns = clientNamespace.trim();
    }
    if (ns == null) {
      throw new IllegalStateException(
          "no namespace for Lease \""
              + n
              + "\": not given to the builder, not running in a pod ("
              + namespaceFile
              + " is absent)"
              + noClientNamespace
              + ". Set one with "
              + namespaceSetting.replace("(...)", "(\"...\")")
              + ".");
    }
    if (!LeaseNames.isValidNamespace(ns)) {
      throw new IllegalArgumentException(
          "namespace \""
              + ns
              + "\" is not a valid namespace name ("
              + LeaseNames.NAMESPACE_RULE
              + ")");
    }
    String id = identity == null ? LeaseIdentity.defaultIdentity() : identity;
    if (id.isEmpty()) {
      throw new IllegalArgumentException("identity must not be empty");
    }
    return new Settings(n, ns, id, watch, namespaceSetting);
  }
}
