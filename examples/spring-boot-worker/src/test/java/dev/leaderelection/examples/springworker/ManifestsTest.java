package dev.leaderelection.examples.springworker;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

/** What the manifests in {@code k8s/} promise, checked without a cluster. */
class ManifestsTest {

  static List<HasMetadata> load(String file) throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("k8s", file))) {
      Object parsed = new KubernetesSerialization().unmarshal(in);
      List<HasMetadata> out = new ArrayList<>();
      if (parsed instanceof List<?> list) {
        list.forEach(o -> out.add((HasMetadata) o));
      } else {
        out.add((HasMetadata) parsed);
      }
      return out;
    }
  }

  static <T> T only(List<HasMetadata> objects, Class<T> type) {
    List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as("objects of type %s", type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  /**
   * Every (API group, resource, name, verb) the Role allows, as {@code "group/resource/name:verb"};
   * a rule without resourceNames allows every name ({@code *}).
   */
  static Set<String> grants(Role role) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule r : role.getRules()) {
      List<String> names = r.getResourceNames().isEmpty() ? List.of("*") : r.getResourceNames();
      for (String group : r.getApiGroups()) {
        for (String resource : r.getResources()) {
          for (String name : names) {
            for (String verb : r.getVerbs()) {
              out.add(group + "/" + resource + "/" + name + ":" + verb);
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void roleGrantsTheLeaseAndConfigMapVerbsOnTheirOneObjectAndOnlyCreateWithoutAName()
      throws IOException {
    Role role = only(load("rbac.yaml"), Role.class);
    assertThat(grants(role))
        .containsExactlyInAnyOrder(
            "coordination.k8s.io/leases/spring-boot-worker:get",
            "coordination.k8s.io/leases/spring-boot-worker:update",
            "coordination.k8s.io/leases/spring-boot-worker:list",
            "coordination.k8s.io/leases/spring-boot-worker:watch",
            "coordination.k8s.io/leases/*:create",
            "/configmaps/worker-output:get",
            "/configmaps/worker-output:update",
            "/configmaps/*:create");
    // The names are the ones the application uses: the Lease is spring.application.name.
    String yaml = Files.readString(Path.of("src/main/resources/application.yaml"));
    assertThat(yaml)
        .containsPattern("(?m)^    name: spring-boot-worker\\b")
        .containsPattern("(?m)^  output-configmap: worker-output\\b");
    assertThat(yaml).doesNotContain("lease-name:");
  }

  @Test
  void roleBindingBindsTheRoleToTheServiceAccountTheDeploymentRunsAs() throws IOException {
    List<HasMetadata> rbac = load("rbac.yaml");
    ServiceAccount sa = only(rbac, ServiceAccount.class);
    RoleBinding binding = only(rbac, RoleBinding.class);
    Deployment deployment = only(load("deployment.yaml"), Deployment.class);
    assertThat(binding.getRoleRef().getName())
        .isEqualTo(only(rbac, Role.class).getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo(sa.getMetadata().getName());
              assertThat(s.getNamespace()).isEqualTo(sa.getMetadata().getNamespace());
            });
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo(sa.getMetadata().getName());
  }

  @Test
  void deploymentRunsThreeReplicasNamedFromTheDownwardApiWithProbesIndependentOfLeadership()
      throws IOException {
    Deployment deployment = only(load("deployment.yaml"), Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    Container c = container(deployment);
    EnvVar podName =
        c.getEnv().stream().filter(e -> e.getName().equals("POD_NAME")).findFirst().orElseThrow();
    assertThat(podName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    // On the application port (management.endpoint.health.probes.add-additional-paths).
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/livez");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(c.getImage())
        .isEqualTo(System.getProperty("worker.image", "spring-boot-worker:0.1.0-SNAPSHOT"));
  }

  @Test
  void terminationGracePeriodCoversTheElectionAndWebServerShutdownPhases() throws IOException {
    Deployment deployment = only(load("deployment.yaml"), Deployment.class);
    String yaml = Files.readString(Path.of("src/main/resources/application.yaml"));
    String phase =
        yaml.lines()
            .filter(l -> l.trim().startsWith("timeout-per-shutdown-phase:"))
            .map(l -> l.replaceAll(".*timeout-per-shutdown-phase:\\s*(\\d+)s.*", "$1"))
            .findFirst()
            .orElseThrow();
    Duration perPhase = Duration.ofSeconds(Long.parseLong(phase));
    long grace =
        Objects.requireNonNull(
            deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
    // The elections' phase, then the web server's graceful shutdown.
    assertThat(Duration.ofSeconds(grace)).isGreaterThan(perPhase.multipliedBy(2));
  }

  static PropertySource<?> applicationYaml() throws IOException {
    List<PropertySource<?>> sources =
        new YamlPropertySourceLoader()
            .load(
                "application.yaml", new FileSystemResource("src/main/resources/application.yaml"));
    assertThat(sources).hasSize(1);
    return sources.get(0);
  }

  @Test
  void theActuatorIsOnItsOwnPortWhichOnlyPrometheusMayReach() throws IOException {
    PropertySource<?> app = applicationYaml();
    int serverPort = Integer.parseInt(String.valueOf(app.getProperty("server.port")));
    int managementPort =
        Integer.parseInt(String.valueOf(app.getProperty("management.server.port")));
    assertThat(managementPort).isNotEqualTo(serverPort);
    assertThat(
            String.valueOf(
                app.getProperty("management.endpoint.health.probes.add-additional-paths")))
        .isEqualTo("true");

    List<HasMetadata> objects = load("deployment.yaml");
    Container c = container(only(objects, Deployment.class));
    Map<String, Integer> ports = new HashMap<>();
    c.getPorts().forEach(p -> ports.put(p.getName(), p.getContainerPort()));
    assertThat(ports)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("http", serverPort, "management", managementPort));

    NetworkPolicy policy = only(objects, NetworkPolicy.class);
    assertThat(policy.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(
            only(objects, Deployment.class).getSpec().getTemplate().getMetadata().getLabels());
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    List<NetworkPolicyIngressRule> rules = policy.getSpec().getIngress();
    // The application port from anywhere; the management port only from Prometheus.
    NetworkPolicyIngressRule open =
        rules.stream().filter(r -> r.getFrom().isEmpty()).findFirst().orElseThrow();
    assertThat(open.getPorts()).extracting(p -> p.getPort().getStrVal()).containsExactly("http");
    List<NetworkPolicyIngressRule> management =
        rules.stream()
            .filter(
                r ->
                    r.getPorts().stream()
                        .anyMatch(p -> "management".equals(p.getPort().getStrVal())))
            .toList();
    assertThat(management)
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.getFrom())
                    .singleElement()
                    .satisfies(
                        peer -> {
                          assertThat(peer.getNamespaceSelector().getMatchLabels())
                              .containsEntry("kubernetes.io/metadata.name", "monitoring");
                          assertThat(peer.getPodSelector().getMatchLabels())
                              .containsEntry("app.kubernetes.io/name", "prometheus");
                          assertThat(peer.getIpBlock()).isNull();
                        }));
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }
}
