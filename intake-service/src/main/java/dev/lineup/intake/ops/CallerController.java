package dev.lineup.intake.ops;

import dev.lineup.service.auth.Caller;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import java.util.Locale;

/**
 * {@code GET /v1/me}: the name and role of the token the request carries, so the ops page can check
 * a token at sign-in and show an observer no buttons it may not use. The API refuses those actions
 * to an observer whatever the page shows.
 */
@Controller("/v1/me")
public final class CallerController {

  /** Who the token belongs to. */
  @Serdeable
  public record Me(String name, String role) {}

  @Get
  @Operation(summary = "The name and role of the request's token")
  public Me me(HttpRequest<?> request) {
    Caller caller =
        request
            .getAttribute(Caller.ATTRIBUTE, Caller.class)
            .orElseThrow(
                () -> new IllegalStateException("the bearer filter let an unknown caller in"));
    return new Me(caller.name(), caller.role().name().toLowerCase(Locale.ROOT));
  }
}
