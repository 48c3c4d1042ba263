package dev.lineup.service.auth;

import io.micronaut.http.HttpRequest;
import java.util.Optional;

/**
 * Which role a request needs. Each service declares its own; an empty answer means the bearer API
 * filter does not guard the path (health, or APIs with their own credentials, like agents').
 */
public interface AccessPolicy {

  Optional<Role> required(HttpRequest<?> request);
}
