package dev.lineup.service.auth;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;

/**
 * What one request was charged to, decided by {@link BearerAuthFilter} before any credential is
 * looked up, and settled once the credential proves good or bad. The filter proves API tokens
 * itself; code that checks a credential of its own (the gateway's host and task tokens, the enroll
 * and webhook secrets) reports the outcome with {@link #credentialProven} and {@link
 * #credentialRefused}. The charge travels with the request as an attribute.
 *
 * <ul>
 *   <li>A bearer token proven before is charged to its own budget; if it no longer works, the
 *       budget is forgotten and its next use counts against its address again.
 *   <li>A bearer token not proven yet is let through only while its address has budget left, and
 *       charged to that address unless it proves good, in which case it gets a budget of its own.
 *       Nothing is taken from the address up front, so many hosts behind one address reconnecting
 *       at once (after a restart, say) are not refused for the lookups in flight.
 *   <li>A request without a bearer token is charged to its address up front, and given back if a
 *       credential in its body or query (the enroll secret, the webhook secret) proves good.
 * </ul>
 */
public final class RequestCharge {

  /** The request attribute the charge travels under. */
  public static final String ATTRIBUTE = "lineup.rate-charge";

  /** What the request was charged to before its credential was looked up. */
  enum Kind {
    /** The budget of a bearer token proven before. */
    CREDENTIAL,
    /** Nothing yet: the address's budget, unless the bearer token proves good. */
    ADDRESS_UNLESS_PROVEN,
    /** The address's budget, given back if a credential in the request proves good. */
    ADDRESS
  }

  private final RateLimits limits;
  private final Kind kind;
  @Nullable private final String credentialHash;
  private final String address;
  private boolean settled;

  RequestCharge(RateLimits limits, Kind kind, @Nullable String credentialHash, String address) {
    this.limits = limits;
    this.kind = kind;
    this.credentialHash = credentialHash;
    this.address = address;
  }

  /** The request's credential proved good. */
  public static void credentialProven(HttpRequest<?> request) {
    request.getAttribute(ATTRIBUTE, RequestCharge.class).ifPresent(RequestCharge::proven);
  }

  /** The request's credential proved wrong (unknown, revoked, expired). */
  public static void credentialRefused(HttpRequest<?> request) {
    request.getAttribute(ATTRIBUTE, RequestCharge.class).ifPresent(RequestCharge::refused);
  }

  synchronized void proven() {
    if (settled) {
      return;
    }
    settled = true;
    switch (kind) {
      case CREDENTIAL -> {}
      case ADDRESS_UNLESS_PROVEN -> limits.openCredential(credentialHash);
      case ADDRESS -> limits.refundAddress(address);
    }
  }

  synchronized void refused() {
    if (settled) {
      return;
    }
    settled = true;
    switch (kind) {
      case CREDENTIAL -> limits.forgetCredential(credentialHash);
      case ADDRESS_UNLESS_PROVEN -> limits.takeAddress(address);
      case ADDRESS -> {}
    }
  }

  /**
   * The answer went out and nothing proved the credential: a 401 refused it; any other answer was
   * served without proving it (an open path), which counts against the address like any request
   * without a credential.
   */
  synchronized void answered(int status) {
    if (settled) {
      return;
    }
    if (status == 401) {
      refused();
      return;
    }
    settled = true;
    if (kind == Kind.ADDRESS_UNLESS_PROVEN) {
      limits.takeAddress(address);
    }
  }
}
