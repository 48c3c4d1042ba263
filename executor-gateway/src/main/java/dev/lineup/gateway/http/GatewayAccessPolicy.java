package dev.lineup.gateway.http;

import dev.lineup.service.auth.AccessPolicy;
import dev.lineup.service.auth.Role;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * Agent and MDM webhook paths carry their own credentials (host and task tokens); every other
 * {@code /v1} path of the gateway is for operators.
 */
@Singleton
public final class GatewayAccessPolicy implements AccessPolicy {

  @Override
  public Optional<Role> required(HttpRequest<?> request) {
    String path = request.getPath();
    if (!path.startsWith("/v1/") || path.startsWith("/v1/agent/") || path.startsWith("/v1/mdm/")) {
      return Optional.empty();
    }
    return Optional.of(Role.OPERATOR);
  }
}
