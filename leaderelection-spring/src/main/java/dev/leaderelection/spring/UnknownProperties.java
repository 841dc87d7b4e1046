package dev.leaderelection.spring;

import java.beans.PropertyDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Refuses properties under {@code leaderelection.} that the starter does not know ({@code
 * lease-duraton}, {@code rbac-chek}), naming the nearest valid one: Spring Boot ignores them, and a
 * misspelled setting silently keeps its default. Names are compared in Spring's relaxed form, so
 * {@code leaseDuration} and {@code lease_duration} are {@code lease-duration}.
 *
 * <p>Environment variables are not checked: Kubernetes adds {@code <SERVICE>_PORT} and the like for
 * every Service, and a Service named {@code leaderelection} would stop every start-up.
 */
final class UnknownProperties {
  private static final ConfigurationPropertyName ROOT =
      ConfigurationPropertyName.of("leaderelection");

  /** Properties of {@code leaderelection.} itself, in dashed form. */
  static final List<String> TOP_LEVEL = propertiesOf(LeaderElectionProperties.class);

  /** Properties of {@code leaderelection.elections.<name>.}. */
  static final List<String> PER_ELECTION = propertiesOf(LeaderElectionProperties.Election.class);

  private UnknownProperties() {}

  /**
   * Checks every {@code leaderelection.*} property in the environment's sources other than the
   * environment variables.
   *
   * @param environment the application's environment
   * @throws LeaderElectionStartupException naming the first unknown property, where it was set and
   *     the nearest valid one
   */
  static void check(Environment environment) {
    if (!(environment instanceof ConfigurableEnvironment env)) {
      return;
    }
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(env)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)
          || source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource
          || (source.getUnderlyingSource() instanceof PropertySource<?> ps
              && StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME.equals(ps.getName()))) {
        continue;
      }
      for (ConfigurationPropertyName name : iterable) {
        if (!ROOT.isAncestorOf(name)) {
          continue;
        }
        String suggestion = nearest(name);
        if (suggestion == null) {
          continue;
        }
        ConfigurationProperty property = source.getConfigurationProperty(name);
        Origin origin = property != null ? property.getOrigin() : null;
        throw new LeaderElectionStartupException(
            "The property "
                + name
                + (origin != null ? " (" + origin + ")" : "")
                + " is not a leader election setting; Spring Boot would ignore it and the setting"
                + " meant would keep its default.",
            "Did you mean "
                + suggestion
                + "? Fix or remove "
                + name
                + "; the settings are listed in the starter's configuration metadata (docs:"
                + " docs/configuration.md, Spring Boot starter).");
      }
    }
  }

  /**
   * {@return the nearest valid property to {@code name}, or {@code null} if {@code name} is valid}
   */
  static @Nullable String nearest(ConfigurationPropertyName name) {
    int n = name.getNumberOfElements();
    String first = uniform(name, 1);
    if (n == 2 && isOneOf(first, TOP_LEVEL)) {
      return null;
    }
    if (uniform(name, 1).equals("elections") && n >= 3) {
      String election = name.getElement(2, Form.ORIGINAL);
      if (n == 3) {
        return null;
      }
      String prefix = "leaderelection.elections." + election + ".";
      if (n == 4 && isOneOf(uniform(name, 3), PER_ELECTION)) {
        return null;
      }
      return prefix + closest(rest(name, 3), PER_ELECTION);
    }
    return "leaderelection." + closest(rest(name, 1), TOP_LEVEL);
  }

  /** The writable JavaBean properties of {@code type}, dashed: what the binder binds. */
  private static List<String> propertiesOf(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (PropertyDescriptor d : BeanUtils.getPropertyDescriptors(type)) {
      if (d.getWriteMethod() != null) {
        names.add(d.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT));
      }
    }
    return List.copyOf(names);
  }

  private static String uniform(ConfigurationPropertyName name, int element) {
    return name.getElement(element, Form.UNIFORM);
  }

  private static boolean isOneOf(String uniform, List<String> names) {
    for (String candidate : names) {
      if (candidate.replace("-", "").equals(uniform)) {
        return true;
      }
    }
    return false;
  }

  /** The elements from {@code from} on, joined with '.', in their dashed form. */
  private static String rest(ConfigurationPropertyName name, int from) {
    List<String> parts = new ArrayList<>();
    for (int i = from; i < name.getNumberOfElements(); i++) {
      parts.add(name.getElement(i, Form.DASHED).toLowerCase(Locale.ROOT));
    }
    return String.join(".", parts);
  }

  private static String closest(String given, List<String> names) {
    String best = names.get(0);
    int bestDistance = Integer.MAX_VALUE;
    String plain = given.replace("-", "").replace(".", "");
    for (String candidate : names) {
      int d = distance(plain, candidate.replace("-", ""));
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
