package dev.lineup.intake.ops;

import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * The ops page's files ({@code /ui/**}, static resources under {@code classpath:ui}) carry no data
 * and need no token, but the page handles one: its headers allow only its own script, style and API
 * ({@code default-src 'self'}, no inline script, so injected markup cannot run), keep it out of
 * frames, and send no referrer anywhere.
 */
@ServerFilter("/ui/**")
public final class OpsPageHeaders {

  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
          + " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  @ResponseFilter
  public void secure(MutableHttpResponse<?> response) {
    response.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    response.header("X-Content-Type-Options", "nosniff");
    response.header("Referrer-Policy", "no-referrer");
    response.header("X-Frame-Options", "DENY");
    response.header("Cache-Control", "no-cache");
  }
}
