package dev.leaderelection.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A loopback TCP proxy to one target (typically the API server), that a test can cut to partition
 * the clients that connect through it, and restore.
 *
 * <p>Point a client at {@link #url()} instead of the API server's URL; TLS passes through unchanged
 * (the relay listens on 127.0.0.1, like the API server, so its certificate still matches).
 *
 * <p>Threads: one daemon thread accepts, two per relayed connection copy bytes. For tests only.
 */
public final class TcpRelay implements AutoCloseable {

  /** How a {@link #cut(CutMode)} treats connections. */
  public enum CutMode {
    /**
     * Existing connections are reset; new ones are accepted and then ignored: nothing is forwarded
     * and nothing comes back, like a network that drops packets. Clients hang until their timeout.
     */
    BLACKHOLE,
    /** Existing connections are reset, and so is every new one at once: fast failures. */
    RESET,
    /**
     * Existing connections stay open but silently stop carrying bytes, in both directions; new ones
     * are handled as in {@link #BLACKHOLE}. Requests in flight hang.
     */
    FREEZE
  }

  private final String scheme;
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final Set<Socket> held = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile @Nullable CutMode cut;
  private volatile boolean closed;

  private TcpRelay(String scheme, InetSocketAddress target) throws IOException {
    this.scheme = scheme;
    this.target = target;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "tcp-relay-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a relay to the host and port of {@code url}, such as the API server's URL.
   *
   * @param url an {@code http} or {@code https} URL
   * @return the running relay
   */
  public static TcpRelay to(String url) {
    URI u = URI.create(url);
    String scheme = u.getScheme() == null ? "https" : u.getScheme();
    int port = u.getPort() != -1 ? u.getPort() : ("http".equals(scheme) ? 80 : 443);
    String host = u.getHost() == null ? "127.0.0.1" : u.getHost();
    try {
      return new TcpRelay(scheme, new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@return the port this relay listens on, on 127.0.0.1} */
  public int port() {
    return server.getLocalPort();
  }

  /** {@return the URL to give clients: the target's scheme with 127.0.0.1 and this relay's port} */
  public String url() {
    return scheme + "://127.0.0.1:" + port();
  }

  /** {@return how many connections this relay has accepted so far} */
  public int acceptedConnections() {
    return accepted.get();
  }

  /** {@return whether the relay is cut} */
  public boolean isCut() {
    return cut != null;
  }

  /** Cuts the relay in {@link CutMode#BLACKHOLE} mode: resets existing connections, ignores new. */
  public void cut() {
    cut(CutMode.BLACKHOLE);
  }

  /**
   * Cuts the relay.
   *
   * @param mode what happens to existing and new connections
   */
  public void cut(CutMode mode) {
    cut = mode;
    if (mode != CutMode.FREEZE) {
      for (Link l : links) {
        l.reset();
      }
    }
  }

  /**
   * Restores forwarding for new connections. Connections that were frozen or held during the cut
   * are reset, since bytes were lost on them.
   */
  public void restore() {
    cut = null;
    for (Link l : links) {
      if (l.frozen) {
        l.reset();
      }
    }
    for (Socket s : held) {
      resetQuietly(s);
    }
    held.clear();
  }

  /** Stops the relay and resets all its connections. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // ignore
    }
    for (Link l : links) {
      l.reset();
    }
    for (Socket s : held) {
      resetQuietly(s);
    }
    held.clear();
  }

  @Override
  public String toString() {
    return "TcpRelay[" + url() + " -> " + target + (cut != null ? ", cut " + cut : "") + "]";
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      accepted.incrementAndGet();
      CutMode mode = cut;
      if (mode == CutMode.RESET) {
        resetQuietly(client);
        continue;
      }
      if (mode != null) {
        held.add(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5_000);
      } catch (IOException e) {
        resetQuietly(client);
        resetQuietly(upstream);
        continue;
      }
      Link link = new Link(client, upstream);
      links.add(link);
      link.start();
    }
  }

  private static void resetQuietly(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException e) {
      // ignore
    }
    try {
      s.close();
    } catch (IOException e) {
      // ignore
    }
  }

  /** One relayed connection: two sockets and two copying threads. */
  private final class Link {
    final Socket client;
    final Socket upstream;
    final AtomicInteger pumpsDone = new AtomicInteger();
    volatile boolean frozen;

    Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void start() {
      startPump(client, upstream, "up");
      startPump(upstream, client, "down");
    }

    private void startPump(Socket from, Socket to, String dir) {
      Thread t = new Thread(() -> pump(from, to), "tcp-relay-" + port() + "-" + dir);
      t.setDaemon(true);
      t.start();
    }

    private void pump(Socket from, Socket to) {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (cut == CutMode.FREEZE) {
            frozen = true;
          }
          if (frozen) {
            continue; // dropped on the floor
          }
          out.write(buf, 0, n);
          out.flush();
        }
        // orderly end of one direction: pass it on
        if (!frozen) {
          to.shutdownOutput();
        }
      } catch (IOException e) {
        reset();
      } finally {
        if (pumpsDone.incrementAndGet() == 2) {
          reset();
        }
      }
    }

    void reset() {
      links.remove(this);
      resetQuietly(client);
      resetQuietly(upstream);
    }
  }
}
