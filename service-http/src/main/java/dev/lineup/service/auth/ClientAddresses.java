package dev.lineup.service.auth;

import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * The client address a request's per-address budget is charged to ({@link RateLimits}).
 *
 * <ul>
 *   <li>Without {@code micronaut.server.client-address-header}: the connection's address, and
 *       nothing the client wrote. Micronaut's own resolver reads {@code Forwarded} and {@code
 *       X-Forwarded-For} even then, taking their left-most entry, so a client that sent a new
 *       address with each request had a new budget each time.
 *   <li>With it (behind a proxy that appends the address it saw, such as {@code X-Forwarded-For}):
 *       the right-most entry, the one the proxy nearest the service added. Entries to its left came
 *       with the request and may be anything the client made up; Micronaut took the whole header,
 *       so a made-up prefix was a new budget too. For {@code Forwarded} the right-most element's
 *       {@code for=}. A request without the header is charged to its connection's address.
 * </ul>
 *
 * Only one proxy hop is trusted: behind a chain of proxies the right-most entry is the address of
 * the proxy before the last, and its clients share a budget. With the header set, the service must
 * be reachable only through the proxy: a client that reached it directly could still name any
 * address in the header.
 */
@Singleton
public final class ClientAddresses {

  private final String header;

  public ClientAddresses(@Value("${micronaut.server.client-address-header:}") String header) {
    this.header = header == null || header.isBlank() ? null : header.strip();
  }

  /** The address to charge {@code request} to. */
  public String of(HttpRequest<?> request) {
    if (header != null) {
      String appended = rightMost(request.getHeaders().getAll(header));
      if (appended != null) {
        return appended;
      }
    }
    InetSocketAddress remote = request.getRemoteAddress();
    return remote == null ? "unknown" : remote.getHostString();
  }

  /**
   * The last entry of a comma-separated header that may come several times (RFC 9110 lets a proxy
   * add a line rather than extend one), or null if it has none.
   */
  String rightMost(List<String> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      String[] entries = lines.get(i).split(",");
      for (int j = entries.length - 1; j >= 0; j--) {
        String entry = entries[j].strip();
        if (header.equalsIgnoreCase("Forwarded")) {
          entry = forParameter(entry);
        }
        if (entry != null && !entry.isEmpty()) {
          return entry;
        }
      }
    }
    return null;
  }

  /** The {@code for=} of one {@code Forwarded} element ({@code for=192.0.2.1;proto=https}). */
  private static String forParameter(String element) {
    for (String pair : element.split(";")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals("for")) {
        String value = pair.substring(eq + 1).strip();
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
            ? value.substring(1, value.length() - 1)
            : value;
      }
    }
    return null;
  }
}
