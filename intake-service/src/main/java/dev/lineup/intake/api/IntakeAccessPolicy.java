package dev.lineup.intake.api;

import dev.lineup.service.auth.AccessPolicy;
import dev.lineup.service.auth.Role;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Observers read; operators enqueue, cancel, pause and resume, and read stored content; only admins
 * purge hosts and manage tokens.
 */
@Singleton
public final class IntakeAccessPolicy implements AccessPolicy {

  private static final Pattern HOST = Pattern.compile("^/v1/hosts/[^/]+/?$");

  @Override
  public Optional<Role> required(HttpRequest<?> request) {
    String path = request.getPath();
    if (!path.startsWith("/v1/")) {
      return Optional.empty();
    }
    if (path.startsWith("/v1/tokens")) {
      return Optional.of(Role.ADMIN);
    }
    HttpMethod method = request.getMethod();
    if (path.startsWith("/v1/secrets")) {
      // Names and sealed values for operators (who reference them, and the gateway's token);
      // setting and deleting for admins.
      return Optional.of(
          method == HttpMethod.GET || method == HttpMethod.HEAD ? Role.OPERATOR : Role.ADMIN);
    }
    if (path.startsWith("/v1/contents")) {
      // Stored scripts and files may hold credentials or other sensitive material, so reading
      // them takes the role that can run them: observers see hashes in payloads, never bodies.
      return Optional.of(Role.OPERATOR);
    }
    if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
      return Optional.of(Role.OBSERVER);
    }
    if (method == HttpMethod.DELETE && HOST.matcher(path).matches()) {
      return Optional.of(Role.ADMIN);
    }
    return Optional.of(Role.OPERATOR);
  }
}
