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

  /** The longest identity accepted: a pod name (253) with a suffix fits with room to spare. */
  public static final int MAX_LENGTH = 512;

  /** How much of an identity read from a Lease {@link #printable} shows. */
  static final int PRINTABLE_LENGTH = 128;

  /**
   * Checks an identity this process is to write as holder, once, before it competes.
   *
   * @param identity the identity
   * @return {@code identity}
   * @throws IllegalArgumentException naming the rule broken: blank, longer than {@link
   *     #MAX_LENGTH}, leading or trailing whitespace, a control character, or a lone surrogate
   *     (which cannot be sent as UTF-8, so the elector would not recognise its own record)
   */
  public static String validate(@Nullable String identity) {
    if (identity == null || identity.isBlank()) {
      throw new IllegalArgumentException(
          "Lock identity is empty: give the lock a unique identity per process, for example"
              + " LeaseIdentity.defaultIdentity()");
    }
    String problem = null;
    if (identity.length() > MAX_LENGTH) {
      problem = "is " + identity.length() + " characters long, more than " + MAX_LENGTH;
    } else if (!identity.strip().equals(identity)) {
      problem = "has leading or trailing whitespace";
    }
    for (int i = 0; problem == null && i < identity.length(); i++) {
      char c = identity.charAt(i);
      if (Character.isISOControl(c)) {
        problem = String.format("contains the control character U+%04X at index %d", (int) c, i);
      } else if (Character.isHighSurrogate(c)
          && i + 1 < identity.length()
          && Character.isLowSurrogate(identity.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        problem = String.format("contains a lone surrogate U+%04X at index %d", (int) c, i);
      }
    }
    if (problem != null) {
      throw new IllegalArgumentException(
          "Lock identity "
              + printable(identity)
              + " "
              + problem
              + ": it is written into the Lease as holderIdentity and must read back exactly."
              + " Use printable characters only, for example LeaseIdentity.defaultIdentity()");
    }
    return identity;
  }

  /**
   * An identity as logs and health details show it: quoted, with control characters and lone
   * surrogates escaped (backslash, {@code u}, four hex digits) and anything past {@value
   * #PRINTABLE_LENGTH} characters cut off, because a Lease's holder is written by whoever can write
   * the Lease.
   *
   * @param identity an identity, possibly from another writer
   * @return a printable, bounded form
   */
  public static String printable(@Nullable String identity) {
    return escape(identity, true);
  }

  /**
   * As {@link #printable}, without the quotes: for a value shown on its own, such as a health
   * detail.
   *
   * @param identity an identity, possibly from another writer
   * @return a printable, bounded form
   */
  public static String escaped(@Nullable String identity) {
    return escape(identity, false);
  }

  private static String escape(@Nullable String identity, boolean quote) {
    if (identity == null) {
      return "null";
    }
    int end = Math.min(identity.length(), PRINTABLE_LENGTH);
    StringBuilder b = new StringBuilder(end + 32);
    if (quote) {
      b.append('\'');
    }
    for (int i = 0; i < end; i++) {
      char c = identity.charAt(i);
      boolean pair =
          Character.isHighSurrogate(c)
              && i + 1 < identity.length()
              && Character.isLowSurrogate(identity.charAt(i + 1));
      if (pair) {
        b.append(c).append(identity.charAt(++i));
      } else if (Character.isISOControl(c)
          || Character.isSurrogate(c)
          || (quote && (c == '\'' || c == '\\'))) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (quote) {
      b.append('\'');
    }
    if (identity.length() > end) {
      b.append("…(").append(identity.length() - end).append(" more characters)");
    }
    return b.toString();
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
