package dev.lineup.gateway.http;

import dev.lineup.service.auth.AccessPolicy;
import dev.lineup.service.auth.Role;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent paths and the MDM webhook carry credentials of their own (the enroll secret, host and
 * task tokens, the webhook secret), checked by their controllers. Resetting a host's enrollment
 * needs an admin API token; every other {@code /v1} path of the gateway is for operators, so a path
 * added later is guarded until it is listed here.
 */
@Singleton
public final class GatewayAccessPolicy implements AccessPolicy {

  private static final Pattern ENROLLMENT_RESET =
      Pattern.compile("^/v1/agent/hosts/[^/]+/enrollment/?$");
  private static final Pattern OWN_CREDENTIALS =
      Pattern.compile("^/v1/(agent/enroll/?|agent/tasks/.*|agent/contents/.*|mdm/webhook/?)$");

  @Override
  public Optional<Role> required(HttpRequest<?> request) {
    String path = request.getPath();
    if (!path.startsWith("/v1/")) {
      // /health and /metrics. Routes match the raw path case-sensitively, as this does, so no
      // spelling of a /v1 path gets here (AuthPathTest).
      return Optional.empty();
    }
    if (ENROLLMENT_RESET.matcher(path).matches()) {
      return Optional.of(Role.ADMIN);
    }
    if (OWN_CREDENTIALS.matcher(path).matches()) {
      return Optional.empty();
    }
    return Optional.of(Role.OPERATOR);
  }
}
