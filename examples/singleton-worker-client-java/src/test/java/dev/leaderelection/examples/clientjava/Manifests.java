package dev.leaderelection.examples.clientjava;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the manifests in {@code k8s/} for the tests (with the test kit's fabric8 model; the worker
 * itself has no fabric8).
 */
final class Manifests {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Manifests() {}

  /** The objects of {@code k8s/<file>}, in order. */
  static List<HasMetadata> load(String file) throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("k8s", file))) {
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
  }

  /** Moves namespaced objects, and the ServiceAccount subjects of RoleBindings, into {@code ns}. */
  static List<HasMetadata> inNamespace(List<HasMetadata> objects, String ns) {
    for (HasMetadata o : objects) {
      if (o.getMetadata().getNamespace() != null) {
        o.getMetadata().setNamespace(ns);
      }
      if (o instanceof RoleBinding rb && rb.getSubjects() != null) {
        for (Subject s : rb.getSubjects()) {
          if ("ServiceAccount".equals(s.getKind())) {
            s.setNamespace(ns);
          }
        }
      }
    }
    return objects;
  }
}
