package dev.leaderelection.testkit;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A K3s cluster in a Docker container (Testcontainers), for machines that have Docker. Selected
 * with {@code -Dleaderelection.it.cluster=k3s}; the image with {@code
 * -Dleaderelection.it.k3s.image}.
 */
final class K3sCluster implements TestCluster {
  static final String DEFAULT_IMAGE = "rancher/k3s:v1.33.1-k3s1";

  private final K3sContainer container;
  private final String kubeconfigYaml;
  private final Path kubeconfig;
  private final Config config;
  private @Nullable KubernetesClient adminClient;
  private boolean closed;

  private K3sCluster(K3sContainer container, Path dir) {
    this.container = container;
    this.kubeconfigYaml = container.getKubeConfigYaml();
    this.kubeconfig = dir.resolve("kubeconfig");
    try {
      Files.createDirectories(dir);
      Files.writeString(kubeconfig, kubeconfigYaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.config = Config.fromKubeconfig(kubeconfigYaml);
  }

  /** {@return whether a Docker engine answers; Testcontainers' own check} */
  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  static K3sCluster start(Path dir) {
    String image = System.getProperty("leaderelection.it.k3s.image", DEFAULT_IMAGE);
    @SuppressWarnings("resource") // closed by close()
    K3sContainer c = new K3sContainer(DockerImageName.parse(image));
    c.start();
    try {
      return new K3sCluster(c, dir);
    } catch (RuntimeException e) {
      c.stop();
      throw e;
    }
  }

  @Override
  public String apiServerUrl() {
    String url = config.getMasterUrl();
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  @Override
  public synchronized KubernetesClient adminClient() {
    KubernetesClient c = adminClient;
    if (c == null) {
      c = new KubernetesClientBuilder().withConfig(adminConfig()).build();
      adminClient = c;
    }
    return c;
  }

  @Override
  public Config adminConfig() {
    Config c = Config.fromKubeconfig(kubeconfigYaml);
    c.setNamespace(null);
    return c;
  }

  @Override
  public Path kubeconfigFile() {
    return kubeconfig;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (adminClient != null) {
      adminClient.close();
    }
    container.stop();
  }

  @Override
  public String toString() {
    return "K3sCluster[" + apiServerUrl() + "]";
  }
}
