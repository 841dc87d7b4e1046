package dev.leaderelection.fabric8;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * Checks, once, that the fabric8 jars on the class path can run this backend: {@code
 * kubernetes-client-api} and {@code kubernetes-client} of one version, 7.5 or later. A build that
 * mixes them (say the API at 8.0.0 from one dependency and the implementation at 7.6.1 from a
 * framework's BOM) compiles and then fails at the first call with a {@code NoSuchMethodError}; this
 * check fails at {@code build()} instead, saying which versions are there and how to align them.
 * Jars without Maven metadata (shaded, repackaged) are not checked.
 */
final class Fabric8Versions {
  private static final String API = "kubernetes-client-api";
  private static final String IMPL = "kubernetes-client";
  private static volatile boolean checked;

  private Fabric8Versions() {}

  static void check() {
    if (checked) {
      return;
    }
    ClassLoader cl = KubernetesClient.class.getClassLoader();
    String problem = problem(versions(cl, API), versions(cl, IMPL));
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
    checked = true;
  }

  /** {@return what is wrong with these versions, or null if they can run this backend} */
  static @Nullable String problem(List<String> api, List<String> impl) {
    List<String> all = new ArrayList<>(api);
    all.addAll(impl);
    String fix =
        " Align them: import io.fabric8:kubernetes-client-bom at the one version your other"
            + " dependencies need (7.5 or later) in <dependencyManagement> before any other BOM, or"
            + " declare io.fabric8:kubernetes-client at that version in your own pom.";
    if (all.stream().distinct().count() > 1) {
      return "the class path holds fabric8 "
          + API
          + " "
          + api
          + " and "
          + IMPL
          + " "
          + impl
          + ": mixed fabric8 versions fail at the first API call (NoSuchMethodError)."
          + fix;
    }
    for (String v : all) {
      if (older(v, 7, 5)) {
        return "fabric8 kubernetes-client "
            + v
            + " is too old for leaderelection-fabric8 (it needs"
            + " 7.5 or later)."
            + fix;
      }
    }
    return null;
  }

  private static boolean older(String version, int major, int minor) {
    String[] p = version.split("[.-]", 3);
    try {
      int ma = Integer.parseInt(p[0]);
      int mi = p.length > 1 ? Integer.parseInt(p[1]) : 0;
      return ma < major || (ma == major && mi < minor);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static List<String> versions(ClassLoader cl, String artifact) {
    List<String> out = new ArrayList<>();
    try {
      Enumeration<URL> urls =
          cl.getResources("META-INF/maven/io.fabric8/" + artifact + "/pom.properties");
      while (urls.hasMoreElements()) {
        Properties p = new Properties();
        try (InputStream in = urls.nextElement().openStream()) {
          p.load(in);
        }
        String v = p.getProperty("version");
        if (v != null && !out.contains(v)) {
          out.add(v);
        }
      }
    } catch (IOException e) {
      // unknown: not checked
    }
    return out;
  }
}
