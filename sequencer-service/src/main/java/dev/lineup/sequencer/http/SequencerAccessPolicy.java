package dev.lineup.sequencer.http;

import dev.lineup.service.auth.AccessPolicy;
import dev.lineup.service.auth.Role;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;
import java.util.Optional;

/** The sequencer's API is read-only: observers and up. */
@Singleton
public final class SequencerAccessPolicy implements AccessPolicy {

  @Override
  public Optional<Role> required(HttpRequest<?> request) {
    return request.getPath().startsWith("/v1/") ? Optional.of(Role.OBSERVER) : Optional.empty();
  }
}
