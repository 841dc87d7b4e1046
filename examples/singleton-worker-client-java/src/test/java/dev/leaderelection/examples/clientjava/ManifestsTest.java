package dev.leaderelection.examples.clientjava;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** What the manifests in {@code k8s/} promise, checked without a cluster. */
class ManifestsTest {

  static <T> T only(List<HasMetadata> objects, Class<T> type) {
    List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as("objects of type %s", type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  /**
   * Every grant of the Role as {@code "group/resource/name:verb"}; no resourceNames is {@code *}.
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
    Role role = only(Manifests.load("rbac.yaml"), Role.class);
    // get/update: the election and the fenced write; list/watch: the followers' Lease watch (by
    // fieldSelector=metadata.name). create cannot be restricted to a name. No patch, no delete.
    assertThat(grants(role))
        .containsExactlyInAnyOrder(
            "coordination.k8s.io/leases/singleton-worker:get",
            "coordination.k8s.io/leases/singleton-worker:update",
            "coordination.k8s.io/leases/singleton-worker:list",
            "coordination.k8s.io/leases/singleton-worker:watch",
            "coordination.k8s.io/leases/*:create",
            "/configmaps/worker-output:get",
            "/configmaps/worker-output:update",
            "/configmaps/*:create");
    Map<String, EnvVar> env =
        env(container(only(Manifests.load("deployment.yaml"), Deployment.class)));
    assertThat(Objects.requireNonNull(env.get("LEASE_NAME")).getValue())
        .isEqualTo("singleton-worker");
    assertThat(Objects.requireNonNull(env.get("OUTPUT_CONFIGMAP")).getValue())
        .isEqualTo("worker-output");
  }

  @Test
  void roleBindingBindsTheRoleToTheServiceAccountTheDeploymentRunsAs() throws IOException {
    List<HasMetadata> rbac = Manifests.load("rbac.yaml");
    ServiceAccount sa = only(rbac, ServiceAccount.class);
    Role role = only(rbac, Role.class);
    RoleBinding binding = only(rbac, RoleBinding.class);
    Deployment deployment = only(Manifests.load("deployment.yaml"), Deployment.class);

    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(sa.getMetadata().getName());
              assertThat(s.getNamespace()).isEqualTo(sa.getMetadata().getNamespace());
            });
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo(sa.getMetadata().getName());
  }

  @Test
  void theNamespaceComesFromTheDownwardApiBecauseAnApiClientHasNone() throws IOException {
    Deployment deployment = only(Manifests.load("deployment.yaml"), Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    Map<String, EnvVar> env = env(container(deployment));
    assertThat(
            Objects.requireNonNull(env.get("POD_NAMESPACE"))
                .getValueFrom()
                .getFieldRef()
                .getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(
            Objects.requireNonNull(env.get("POD_NAME")).getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
  }

  @Test
  void terminationGracePeriodLeavesTimeForTheWorstCaseClose() throws IOException {
    Deployment deployment = only(Manifests.load("deployment.yaml"), Deployment.class);
    Map<String, String> values = new HashMap<>();
    env(container(deployment))
        .forEach((k, v) -> values.put(k, v.getValue() == null ? "" : v.getValue()));
    ClientJavaWorker.Settings settings = ClientJavaWorker.Settings.fromEnv(values);
    // LeaderElector.close() waits at most closeTimeout + 2 x renewDeadline + retryPeriod.
    Duration worstClose =
        settings
            .election()
            .closeTimeout()
            .plus(settings.election().renewDeadline().multipliedBy(2))
            .plus(settings.election().retryPeriod());
    long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertThat(Duration.ofSeconds(grace)).isGreaterThan(worstClose);
  }

  @Test
  void deploymentRunsTheImageTheJibProfileBuilds() throws IOException {
    Deployment deployment = only(Manifests.load("deployment.yaml"), Deployment.class);
    String expected =
        System.getProperty("worker.image", "singleton-worker-client-java:0.1.0-SNAPSHOT");
    assertThat(container(deployment).getImage()).isEqualTo(expected);
  }

  @Test
  void everyNamespacedObjectLivesInTheExampleNamespace() throws IOException {
    String ns = Manifests.load("namespace.yaml").get(0).getMetadata().getName();
    assertThat(ns).isEqualTo("singleton-worker-client-java");
    for (String file : List.of("rbac.yaml", "deployment.yaml")) {
      for (HasMetadata o : Manifests.load(file)) {
        assertThat(o.getMetadata().getNamespace()).as("%s in %s", o.getKind(), file).isEqualTo(ns);
      }
    }
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Map<String, EnvVar> env(Container c) {
    Map<String, EnvVar> m = new HashMap<>();
    for (EnvVar e : c.getEnv()) {
      m.put(e.getName(), e);
    }
    return m;
  }
}
