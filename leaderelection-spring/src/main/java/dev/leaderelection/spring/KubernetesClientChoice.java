package dev.leaderelection.spring;

import dev.leaderelection.spring.LeaderElectionProperties.Client;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.core.type.MethodMetadata;
import org.springframework.util.ClassUtils;

/**
 * Which Kubernetes client the starter's Leases go through, fabric8 or client-java:
 *
 * <ol>
 *   <li>{@code leaderelection.kubernetes-client}, if set; a client that is not on the class path
 *       then stops the start-up, naming the dependencies to add;
 *   <li>else the only one on the class path;
 *   <li>with both there: the one whose client bean the application defines ({@code
 *       KubernetesClient} or {@code ApiClient});
 *   <li>with both beans or neither: fabric8, which the starter has always used.
 * </ol>
 *
 * <p>Decided from class names and bean definitions only, so that it can run as a condition before
 * any bean exists; the starter's own default clients do not count as the application's beans.
 *
 * @param client the client chosen, or {@code null} if none can be used
 * @param reason why, as logged; if {@code client} is {@code null}, what is missing
 * @param action if {@code client} is {@code null}, what to do
 */
record KubernetesClientChoice(@Nullable Client client, String reason, String action) {
  static final String PROPERTY = "leaderelection.kubernetes-client";

  static final String FABRIC8_CLIENT = "io.fabric8.kubernetes.client.KubernetesClient";
  static final String FABRIC8_LOCK = "dev.leaderelection.fabric8.KubernetesLeaseLock";
  static final String API_CLIENT = "io.kubernetes.client.openapi.ApiClient";
  static final String CLIENT_JAVA_LOCK = "dev.leaderelection.clientjava.ClientJavaLeaseLock";

  private static final String FABRIC8_DEPENDENCIES =
      "dev.leaderelection:leaderelection-fabric8 and io.fabric8:kubernetes-client (which"
          + " leaderelection-spring brings unless they are excluded)";
  private static final String CLIENT_JAVA_DEPENDENCIES =
      "dev.leaderelection:leaderelection-client-java and io.kubernetes:client-java (25 or later)";

  /**
   * Decides.
   *
   * @param environment the properties
   * @param classLoader the application's class loader
   * @param beans the bean definitions registered so far
   * @return the choice
   * @throws LeaderElectionStartupException if {@code leaderelection.kubernetes-client} is not a
   *     client's name
   */
  static KubernetesClientChoice decide(
      Environment environment,
      @Nullable ClassLoader classLoader,
      @Nullable ConfigurableListableBeanFactory beans) {
    boolean fabric8 = present(classLoader, FABRIC8_CLIENT, FABRIC8_LOCK);
    boolean clientJava = present(classLoader, API_CLIENT, CLIENT_JAVA_LOCK);
    Client configured = configured(environment);
    if (configured != null) {
      boolean there = configured == Client.FABRIC8 ? fabric8 : clientJava;
      String set = PROPERTY + "=" + configured.value();
      if (there) {
        return chosen(configured, set);
      }
      String missing =
          configured == Client.FABRIC8
              ? missing(classLoader, FABRIC8_CLIENT, FABRIC8_LOCK)
              : missing(classLoader, API_CLIENT, CLIENT_JAVA_LOCK);
      return new KubernetesClientChoice(
          null,
          set
              + ", but "
              + missing
              + " is not on the class path, so the Leases cannot go through "
              + configured.value()
              + ".",
          "Add "
              + (configured == Client.FABRIC8 ? FABRIC8_DEPENDENCIES : CLIENT_JAVA_DEPENDENCIES)
              + " to the application's dependencies, or remove "
              + PROPERTY
              + " to use the client that is there.");
    }
    if (!fabric8 && !clientJava) {
      return new KubernetesClientChoice(
          null,
          "The Kubernetes backend needs a Kubernetes client, and neither fabric8 nor client-java"
              + " is on the class path.",
          "Keep the dependencies leaderelection-spring brings ("
              + FABRIC8_DEPENDENCIES
              + "), or add "
              + CLIENT_JAVA_DEPENDENCIES
              + "; or define a LeaseLockFactory bean, or set leaderelection.mode=local to run"
              + " without a cluster.");
    }
    if (!clientJava) {
      return chosen(Client.FABRIC8, "it is the only Kubernetes client on the class path");
    }
    if (!fabric8) {
      return chosen(Client.CLIENT_JAVA, "it is the only Kubernetes client on the class path");
    }
    boolean fabric8Bean = applicationBean(beans, classLoader, FABRIC8_CLIENT);
    boolean apiClientBean = applicationBean(beans, classLoader, API_CLIENT);
    if (fabric8Bean && !apiClientBean) {
      return chosen(Client.FABRIC8, "the application defines a KubernetesClient bean");
    }
    if (apiClientBean && !fabric8Bean) {
      return chosen(Client.CLIENT_JAVA, "the application defines an ApiClient bean");
    }
    return chosen(
        Client.FABRIC8,
        (fabric8Bean
                ? "the application defines both a KubernetesClient and an ApiClient bean"
                : "both fabric8 and client-java are on the class path and the application defines"
                    + " neither client as a bean")
            + ", and fabric8 is the default; set "
            + PROPERTY
            + "=client-java to use client-java");
  }

  private static KubernetesClientChoice chosen(Client client, String reason) {
    return new KubernetesClientChoice(client, reason, "");
  }

  /** {@return the configured client, or {@code null} if the property is unset} */
  private static @Nullable Client configured(Environment environment) {
    String value = Binder.get(environment).bind(PROPERTY, String.class).orElse(null);
    if (value == null || value.isBlank()) {
      return null;
    }
    // As Spring binds enums: case, '-' and '_' do not matter.
    String plain = value.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
    for (Client c : Client.values()) {
      if (c.value().replace("-", "").equals(plain)) {
        return c;
      }
    }
    throw new LeaderElectionStartupException(
        PROPERTY + "='" + value.trim() + "' is not a Kubernetes client the starter knows.",
        "Set "
            + PROPERTY
            + " to fabric8 or client-java, or remove it to let the starter choose (the client whose"
            + " bean the application defines, else fabric8).");
  }

  private static boolean present(@Nullable ClassLoader classLoader, String... classes) {
    for (String c : classes) {
      if (!ClassUtils.isPresent(c, classLoader)) {
        return false;
      }
    }
    return true;
  }

  private static String missing(@Nullable ClassLoader classLoader, String... classes) {
    for (String c : classes) {
      if (!ClassUtils.isPresent(c, classLoader)) {
        return c;
      }
    }
    return classes[0];
  }

  /**
   * {@return whether the application (not this starter's own default) defines a bean of {@code
   * type}}
   */
  private static boolean applicationBean(
      @Nullable ConfigurableListableBeanFactory beans,
      @Nullable ClassLoader classLoader,
      String type) {
    if (beans == null) {
      return false;
    }
    Class<?> c = ClassUtils.resolveClassName(type, classLoader);
    for (String name : beans.getBeanNamesForType(c, true, false)) {
      if (!starterDefault(beans, name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean starterDefault(ConfigurableListableBeanFactory beans, String name) {
    if (!beans.containsBeanDefinition(name)) {
      return false;
    }
    BeanDefinition d = beans.getBeanDefinition(name);
    MethodMetadata m = d instanceof AnnotatedBeanDefinition a ? a.getFactoryMethodMetadata() : null;
    String own = LeaderElectionAutoConfiguration.class.getName();
    return m != null
        && (m.getDeclaringClassName().equals(own)
            || m.getDeclaringClassName().startsWith(own + "$"));
  }
}
