package dev.leaderelection.examples.worker;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the example's Kubernetes manifests ({@code k8s/*.yaml}, also on the classpath under {@code
 * k8s/}), for the demo and the tests.
 */
public final class Manifests {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Manifests() {}

  /**
   * Reads the objects of a manifest on the classpath.
   *
   * @param resource such as {@code "k8s/rbac.yaml"}
   * @return its objects, in order
   */
  public static List<HasMetadata> fromClasspath(String resource) {
    try (InputStream in = Manifests.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException(resource + " is not on the classpath");
      }
      return parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the objects of a YAML stream with one or more documents.
   *
   * @param in the stream
   * @return its objects, in order
   */
  public static List<HasMetadata> parse(InputStream in) {
    Object parsed = SERIALIZATION.unmarshal(in);
    List<HasMetadata> out = new ArrayList<>();
    if (parsed instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof HasMetadata h) {
          out.add(h);
        }
      }
    } else if (parsed instanceof HasMetadata h) {
      out.add(h);
    }
    return out;
  }

  /**
   * Moves namespaced objects into {@code namespace}, including the namespace of ServiceAccount
   * subjects of RoleBindings (which {@code kubectl apply -n} would leave alone).
   *
   * @param objects the objects; changed in place
   * @param namespace the target namespace
   * @return {@code objects}
   */
  public static List<HasMetadata> inNamespace(List<HasMetadata> objects, String namespace) {
    for (HasMetadata o : objects) {
      if (o.getMetadata().getNamespace() != null) {
        o.getMetadata().setNamespace(namespace);
      }
      if (o instanceof RoleBinding rb && rb.getSubjects() != null) {
        for (Subject s : rb.getSubjects()) {
          if ("ServiceAccount".equals(s.getKind())) {
            s.setNamespace(namespace);
          }
        }
      }
    }
    return objects;
  }
}
