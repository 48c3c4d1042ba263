package dev.lineup.service.auth;

import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.util.List;
import java.util.Optional;

/**
 * Every request to a guarded path needs {@code Authorization: Bearer <token>} from a token whose
 * role allows it: 401 without a known token, 403 with one whose role is too small. The token itself
 * is never logged.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class BearerAuthFilter {

  private static final String BEARER = "Bearer ";

  private final List<TokenAuthority> authorities;
  private final List<AccessPolicy> policies;
  private final RateLimits rateLimits;

  public BearerAuthFilter(
      List<TokenAuthority> authorities, List<AccessPolicy> policies, RateLimits rateLimits) {
    this.authorities = authorities;
    this.policies = policies;
    this.rateLimits = rateLimits;
  }

  @RequestFilter
  @Nullable
  public MutableHttpResponse<?> authenticate(HttpRequest<?> request) {
    Optional<Role> required =
        policies.stream().map(p -> p.required(request)).flatMap(Optional::stream).findFirst();
    if (required.isEmpty()) {
      return null;
    }
    String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.startsWith(BEARER)) {
      return unauthorized("a bearer token is required");
    }
    String token = header.substring(BEARER.length()).strip();
    Optional<Caller> caller =
        authorities.stream().map(a -> a.authenticate(token)).flatMap(Optional::stream).findFirst();
    if (caller.isEmpty()) {
      return unauthorized("the bearer token is not known");
    }
    if (!caller.get().role().allows(required.get())) {
      return Problem.response(
          HttpStatus.FORBIDDEN,
          "Forbidden",
          "this needs the " + required.get().name().toLowerCase() + " role",
          List.of());
    }
    if (!rateLimits.tryTake(caller.get())) {
      return Problem.response(
              HttpStatus.TOO_MANY_REQUESTS,
              "Too many requests",
              "this token's request rate is used up; retry shortly",
              List.of())
          .header(HttpHeaders.RETRY_AFTER, "1");
    }
    request.setAttribute(Caller.ATTRIBUTE, caller.get());
    return null;
  }

  private static MutableHttpResponse<?> unauthorized(String detail) {
    return Problem.response(HttpStatus.UNAUTHORIZED, "Unauthorized", detail, List.of())
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
  }
}
