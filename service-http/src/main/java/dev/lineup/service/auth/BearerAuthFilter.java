package dev.lineup.service.auth;

import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.util.List;
import java.util.Optional;

/**
 * Every request is first charged to a rate budget ({@link RequestCharge}, {@link RateLimits}),
 * before any credential is looked up and whatever its path: a flood of wrong tokens or secrets is
 * refused with 429 by its address's budget. Then every request to a guarded path needs {@code
 * Authorization: Bearer <token>} from a token whose role allows it: 401 without a known token, 403
 * with one whose role is too small. Paths with credentials of their own (the gateway's agent and
 * MDM paths) check them in their controllers and settle the charge there. The token itself is never
 * logged. The address charged is the connection's, or the proxy's right-most entry ({@link
 * ClientAddresses}); {@code /health} is not charged.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class BearerAuthFilter {

  private static final String BEARER = "Bearer ";

  /**
   * Never charged nor refused: orchestrators and load balancers probe it, often many from one
   * address, and a 429 there would take a working instance out of service. It reads in-memory state
   * and at most one database check a second ({@code DatabaseReadiness}).
   */
  private static final String HEALTH = "/health";

  /**
   * Open to anyone, whatever a service's {@link AccessPolicy} says (docs/CONTRACT.md, Operations):
   * Prometheus scrapes it without a token, and it holds no secret and no host's series. Unlike
   * {@code /health} it is charged to the caller's address, as building it is not free.
   */
  private static final String METRICS = "/metrics";

  private final List<TokenAuthority> authorities;
  private final List<AccessPolicy> policies;
  private final RateLimits rateLimits;
  private final ClientAddresses addresses;

  public BearerAuthFilter(
      List<TokenAuthority> authorities,
      List<AccessPolicy> policies,
      RateLimits rateLimits,
      ClientAddresses addresses) {
    this.authorities = authorities;
    this.policies = policies;
    this.rateLimits = rateLimits;
    this.addresses = addresses;
  }

  @RequestFilter
  @Nullable
  public MutableHttpResponse<?> authenticate(HttpRequest<?> request) {
    if (HEALTH.equals(request.getPath())) {
      return null;
    }
    String token = bearerToken(request);
    Charged charge = charge(request, token);
    if (charge.refusal() != null) {
      return tooManyRequests(charge.refusal());
    }
    request.setAttribute(RequestCharge.ATTRIBUTE, charge.charge());
    if (METRICS.equals(request.getPath())) {
      return null;
    }
    Optional<Role> required =
        policies.stream().map(p -> p.required(request)).flatMap(Optional::stream).findFirst();
    if (required.isEmpty()) {
      return null;
    }
    if (token == null) {
      return unauthorized("a bearer token is required");
    }
    Optional<Caller> caller =
        authorities.stream().map(a -> a.authenticate(token)).flatMap(Optional::stream).findFirst();
    if (caller.isEmpty()) {
      charge.charge().refused();
      return unauthorized("the bearer token is not known");
    }
    charge.charge().proven();
    if (!caller.get().role().allows(required.get())) {
      return Problem.response(
          HttpStatus.FORBIDDEN,
          "Forbidden",
          "this needs the " + required.get().name().toLowerCase() + " role",
          List.of());
    }
    request.setAttribute(Caller.ATTRIBUTE, caller.get());
    return null;
  }

  /** Settles a charge nothing proved or refused while the request was served. */
  @ResponseFilter
  public void settle(HttpRequest<?> request, MutableHttpResponse<?> response) {
    request
        .getAttribute(RequestCharge.ATTRIBUTE, RequestCharge.class)
        .ifPresent(charge -> charge.answered(response.code()));
  }

  /** A charge, or why the request is refused. */
  private record Charged(RequestCharge charge, RateLimits.Taken refusal) {}

  private Charged charge(HttpRequest<?> request, @Nullable String token) {
    String address = addresses.of(request);
    if (token == null) {
      RateLimits.Taken taken = rateLimits.takeAddress(address);
      return taken.allowed()
          ? new Charged(
              new RequestCharge(rateLimits, RequestCharge.Kind.ADDRESS, null, address), null)
          : new Charged(null, taken);
    }
    String hash = TokenHashes.sha256(token);
    RateLimits.Taken proven = rateLimits.takeProvenCredential(hash);
    if (proven != null) {
      return proven.allowed()
          ? new Charged(
              new RequestCharge(rateLimits, RequestCharge.Kind.CREDENTIAL, hash, address), null)
          : new Charged(null, proven);
    }
    RateLimits.Taken room = rateLimits.peekAddress(address);
    return room.allowed()
        ? new Charged(
            new RequestCharge(rateLimits, RequestCharge.Kind.ADDRESS_UNLESS_PROVEN, hash, address),
            null)
        : new Charged(null, room);
  }

  @Nullable
  /** The request's bearer token, or null without one. */
  public static String bearerToken(HttpRequest<?> request) {
    String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.startsWith(BEARER)) {
      return null;
    }
    String token = header.substring(BEARER.length()).strip();
    return token.isEmpty() ? null : token;
  }

  private static MutableHttpResponse<?> tooManyRequests(RateLimits.Taken refusal) {
    return Problem.response(
            HttpStatus.TOO_MANY_REQUESTS,
            "Too many requests",
            "the request rate of this token, or of this address's requests without a good"
                + " credential, is used up; retry after the time in Retry-After",
            List.of())
        .header(HttpHeaders.RETRY_AFTER, Long.toString(refusal.retryAfterSeconds()));
  }

  private static MutableHttpResponse<?> unauthorized(String detail) {
    return Problem.response(HttpStatus.UNAUTHORIZED, "Unauthorized", detail, List.of())
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
  }
}
