package dev.leaderelection.fabric8;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leaderelection.testkit.LocalControlPlaneExtension;
import dev.leaderelection.testkit.TestCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every example's Kubernetes manifests ({@code examples/NAME/k8s/*.yaml}, read from this
 * repository) against the Pod Security "restricted" profile, on the real API server, which runs the
 * PodSecurity admission plugin: each workload's pod template is created as a Pod, with a
 * server-side dry run, in a namespace carrying the example namespace's own labels (which enforce
 * "restricted"). The same pod with one of the profile's rules broken is refused there, so the check
 * cannot pass because the plugin or the label is missing. Enforcement applies to Pods; with no
 * controller-manager here a Deployment would create none.
 */
@ExtendWith(LocalControlPlaneExtension.class)
class ExampleManifestsPodSecurityIT {
  private static final Path EXAMPLES = Path.of("..", "examples");
  private static final String ENFORCE = "pod-security.kubernetes.io/enforce";
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** An example's manifests: its directory and the objects of every file in it, in file order. */
  record Example(String name, Map<String, List<HasMetadata>> files) {
    List<HasMetadata> all() {
      return files.values().stream().flatMap(List::stream).toList();
    }

    Namespace namespace() {
      List<Namespace> ns =
          all().stream().filter(Namespace.class::isInstance).map(Namespace.class::cast).toList();
      assertThat(ns).as("Namespaces in the manifests of %s", name).hasSize(1);
      return ns.get(0);
    }

    /** Each workload's pod template, by "kind/name". */
    Map<String, PodTemplateSpec> podTemplates() {
      Map<String, PodTemplateSpec> out = new LinkedHashMap<>();
      for (HasMetadata o : all()) {
        PodTemplateSpec t = template(o);
        if (t != null) {
          out.put(o.getKind() + "/" + o.getMetadata().getName(), t);
        }
      }
      return out;
    }
  }

  static List<Example> examples() throws IOException {
    assertThat(EXAMPLES)
        .as("the repository's examples, relative to this module: %s", EXAMPLES.toAbsolutePath())
        .isDirectory();
    List<Example> out = new ArrayList<>();
    List<Path> dirs;
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      dirs = s.filter(d -> Files.isDirectory(d.resolve("k8s"))).sorted().toList();
    }
    for (Path dir : dirs) {
      Map<String, List<HasMetadata>> files = new LinkedHashMap<>();
      List<Path> yamls;
      try (Stream<Path> s = Files.list(dir.resolve("k8s"))) {
        yamls =
            s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                .sorted()
                .toList();
      }
      for (Path f : yamls) {
        files.put(f.getFileName().toString(), parse(f));
      }
      out.add(new Example(dir.getFileName().toString(), files));
    }
    assertThat(out)
        .as("examples with a k8s/ directory under %s", EXAMPLES.toAbsolutePath().normalize())
        .extracting(Example::name)
        .contains("singleton-worker", "spring-boot-worker");
    return out;
  }

  static List<HasMetadata> parse(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      Object parsed = YAML.unmarshal(in);
      List<HasMetadata> out = new ArrayList<>();
      if (parsed instanceof List<?> list) {
        for (Object o : list) {
          out.add((HasMetadata) o);
        }
      } else {
        out.add((HasMetadata) parsed);
      }
      return out;
    }
  }

  /** The pod template of a workload, the Pod itself as a template, or null for other kinds. */
  static @Nullable PodTemplateSpec template(HasMetadata o) {
    if (o instanceof Deployment d) {
      return d.getSpec().getTemplate();
    } else if (o instanceof StatefulSet s) {
      return s.getSpec().getTemplate();
    } else if (o instanceof DaemonSet d) {
      return d.getSpec().getTemplate();
    } else if (o instanceof ReplicaSet r) {
      return r.getSpec().getTemplate();
    } else if (o instanceof Job j) {
      return j.getSpec().getTemplate();
    } else if (o instanceof CronJob c) {
      return c.getSpec().getJobTemplate().getSpec().getTemplate();
    } else if (o instanceof Pod p) {
      return new PodTemplateSpec(p.getMetadata(), p.getSpec());
    }
    return null;
  }

  @Test
  void everyExampleNamespaceEnforcesTheRestrictedProfile() throws IOException {
    for (Example e : examples()) {
      Map<String, String> labels = e.namespace().getMetadata().getLabels();
      assertThat(labels)
          .as("labels of the namespace of %s", e.name())
          .containsEntry(ENFORCE, "restricted")
          .containsEntry("pod-security.kubernetes.io/warn", "restricted")
          .containsEntry("pod-security.kubernetes.io/audit", "restricted");
    }
  }

  /** What Pod Security does not check but the examples promise (see the issue's list). */
  @Test
  void everyPodTemplateIsHardenedBeyondTheProfile() throws IOException {
    for (Example e : examples()) {
      Map<String, PodTemplateSpec> templates = e.podTemplates();
      assertThat(templates).as("workloads of %s", e.name()).isNotEmpty();
      Map<String, ServiceAccount> accounts = new HashMap<>();
      e.all().stream()
          .filter(ServiceAccount.class::isInstance)
          .map(ServiceAccount.class::cast)
          .forEach(sa -> accounts.put(sa.getMetadata().getName(), sa));
      for (ServiceAccount sa : accounts.values()) {
        assertThat(sa.getAutomountServiceAccountToken())
            .as("%s: ServiceAccount %s mounts no token by default", e.name(), sa.getMetadata())
            .isFalse();
      }
      for (Map.Entry<String, PodTemplateSpec> t : templates.entrySet()) {
        String what = e.name() + " " + t.getKey();
        PodSpec spec = t.getValue().getSpec();
        // The token only where it is used: these pods talk to the API server with their
        // ServiceAccount, so they ask for it; their ServiceAccount does not hand it to others.
        assertThat(spec.getServiceAccountName()).as("%s: ServiceAccount", what).isNotBlank();
        assertThat(accounts)
            .as("%s: its ServiceAccount is in the manifests", what)
            .containsKey(spec.getServiceAccountName());
        assertThat(spec.getAutomountServiceAccountToken())
            .as("%s: asks for the token it uses", what)
            .isTrue();
        assertThat(spec.getHostNetwork()).as("%s: hostNetwork", what).isNotEqualTo(true);
        for (Container c : spec.getContainers()) {
          String cw = what + " container " + c.getName();
          assertThat(c.getSecurityContext()).as("%s: securityContext", cw).isNotNull();
          assertThat(c.getSecurityContext().getReadOnlyRootFilesystem())
              .as("%s: read-only root file system", cw)
              .isTrue();
          assertThat(c.getSecurityContext().getAllowPrivilegeEscalation())
              .as("%s: no privilege escalation", cw)
              .isFalse();
          assertThat(c.getSecurityContext().getCapabilities().getDrop())
              .as("%s: drops all capabilities", cw)
              .containsExactly("ALL");
          assertThat(c.getSecurityContext().getCapabilities().getAdd())
              .as("%s: adds none", cw)
              .isNullOrEmpty();
          imagePinnedOrReasonGiven(e, cw, c.getImage());
        }
      }
    }
  }

  /** A digest, or a comment in the file that says why there is none. */
  private static void imagePinnedOrReasonGiven(Example e, String what, String image)
      throws IOException {
    if (image.contains("@sha256:")) {
      return;
    }
    for (String file : e.files().keySet()) {
      List<String> lines =
          Files.readAllLines(EXAMPLES.resolve(e.name()).resolve("k8s").resolve(file));
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).trim().equals("image: " + image)) {
          String above = String.join("\n", lines.subList(Math.max(0, i - 6), i));
          assertThat(above)
              .as("%s: image %s has no digest; the comment above it must say why", what, image)
              .contains("Not pinned to a digest");
          return;
        }
      }
    }
    throw new AssertionError(what + ": image " + image + " not found in the files");
  }

  @Test
  void everyPodTemplateIsAdmittedUnderTheRestrictedProfileAndBreakingARuleIsRefused(
      TestCluster cluster) throws IOException {
    KubernetesClient admin = cluster.adminClient();
    for (Example e : examples()) {
      // A namespace with the example namespace's own labels (its name may be in use already).
      String ns = cluster.createUniqueNamespace("psa");
      Map<String, String> labels = e.namespace().getMetadata().getLabels();
      admin
          .namespaces()
          .withName(ns)
          .edit(
              n ->
                  new NamespaceBuilder(n).editMetadata().addToLabels(labels).endMetadata().build());
      for (Map.Entry<String, PodTemplateSpec> t : e.podTemplates().entrySet()) {
        String what = e.name() + " " + t.getKey();
        // Admitted as written.
        Pod admitted = dryRunCreate(admin, ns, pod(t.getValue(), "as-written"));
        assertThat(admitted.getMetadata().getUid()).as("%s: dry-run created", what).isNotNull();
        assertThat(admin.pods().inNamespace(ns).withName("as-written").get())
            .as("a dry run stores nothing")
            .isNull();

        // Each hardening the profile requires is load-bearing: without it the pod is refused.
        Map<String, Consumer<Pod>> breaks = new LinkedHashMap<>();
        breaks.put(
            "seccompProfile",
            p -> {
              podContext(p).setSeccompProfile(null);
              p.getSpec().getContainers().forEach(c -> context(c).setSeccompProfile(null));
            });
        breaks.put(
            "allowPrivilegeEscalation != false",
            p ->
                p.getSpec()
                    .getContainers()
                    .forEach(c -> context(c).setAllowPrivilegeEscalation(true)));
        breaks.put(
            "unrestricted capabilities",
            p -> p.getSpec().getContainers().forEach(c -> context(c).setCapabilities(null)));
        breaks.put(
            "runAsNonRoot != true",
            p -> {
              podContext(p).setRunAsNonRoot(false);
              p.getSpec().getContainers().forEach(c -> context(c).setRunAsNonRoot(false));
            });
        for (Map.Entry<String, Consumer<Pod>> b : breaks.entrySet()) {
          Pod broken = pod(t.getValue(), "broken");
          b.getValue().accept(broken);
          assertThatThrownBy(() -> dryRunCreate(admin, ns, broken))
              .as("%s with %s", what, b.getKey())
              .isInstanceOfSatisfying(
                  KubernetesClientException.class, x -> assertThat(x.getCode()).isEqualTo(403))
              .hasMessageContaining("violates PodSecurity \"restricted:latest\"")
              .hasMessageContaining(b.getKey());
        }
      }
    }
  }

  private static PodSecurityContext podContext(Pod p) {
    if (p.getSpec().getSecurityContext() == null) {
      p.getSpec().setSecurityContext(new PodSecurityContext());
    }
    return p.getSpec().getSecurityContext();
  }

  private static SecurityContext context(Container c) {
    if (c.getSecurityContext() == null) {
      c.setSecurityContext(new SecurityContext());
    }
    return c.getSecurityContext();
  }

  /** A Pod from a template (a deep copy), named {@code name}. */
  private static Pod pod(PodTemplateSpec template, String name) {
    PodTemplateSpec copy =
        YAML.unmarshal(YAML.asJson(template), PodTemplateSpec.class); // deep copy
    ObjectMeta meta =
        copy.getMetadata() == null ? new ObjectMeta() : Objects.requireNonNull(copy.getMetadata());
    meta.setName(name);
    meta.setNamespace(null);
    return new PodBuilder().withMetadata(meta).withSpec(copy.getSpec()).build();
  }

  private static Pod dryRunCreate(KubernetesClient admin, String ns, Pod pod) {
    return admin.pods().inNamespace(ns).resource(pod).dryRun().create();
  }
}
