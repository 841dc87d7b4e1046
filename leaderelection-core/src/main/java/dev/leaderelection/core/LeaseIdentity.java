package dev.leaderelection.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/** Default candidate identities. */
public final class LeaseIdentity {
  private static final SecureRandom RANDOM = new SecureRandom();

  private LeaseIdentity() {}

  /**
   * An identity unique to this process: the pod name ({@code POD_NAME}, then {@code HOSTNAME}, then
   * the host name), an underscore, and 8 random hex digits, for example {@code
   * worker-7d9f_3fa2c1b0}.
   *
   * <p>The random suffix keeps two processes in one pod, or a restarted process, from sharing an
   * identity: two candidates with one identity would both believe they hold the Lease.
   *
   * @return a new identity
   */
  public static String defaultIdentity() {
    return hostPart() + "_" + randomSuffix();
  }

  static String hostPart() {
    String pod = nonBlank(System.getenv("POD_NAME"));
    if (pod != null) {
      return pod;
    }
    String host = nonBlank(System.getenv("HOSTNAME"));
    if (host != null) {
      return host;
    }
    try {
      String name = nonBlank(InetAddress.getLocalHost().getHostName());
      return name != null ? name : "localhost";
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  private static String randomSuffix() {
    byte[] bytes = new byte[4];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static @Nullable String nonBlank(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
