package dev.lineup.intake.auth;

import dev.lineup.service.auth.Role;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Admins make, list and revoke API tokens. A token is shown once, in the answer that makes it. */
@Controller("/v1/tokens")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class TokenController {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record NewToken(@Nullable String name, @Nullable String role) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Made(String name, String role, String token) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Listed(String name, String role, Instant createdAt, @Nullable Instant revokedAt) {}

  private final StoredTokens tokens;

  public TokenController(StoredTokens tokens) {
    this.tokens = tokens;
  }

  @Post
  public HttpResponse<Made> create(@Body NewToken body) throws Exception {
    if (body == null || body.name() == null || !NAME.matcher(body.name()).matches()) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("name", "1 to 64 of letters, digits, '.', '_', '-'")));
    }
    Role role;
    try {
      role = Role.valueOf(String.valueOf(body.role()).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("role", "must be admin, operator or observer")));
    }
    String token =
        tokens
            .create(body.name(), role)
            .orElseThrow(() -> ApiException.conflict("a token named " + body.name() + " exists"));
    return HttpResponse.<Made>status(HttpStatus.CREATED)
        .body(new Made(body.name(), role.name().toLowerCase(Locale.ROOT), token));
  }

  /** Lists answer objects, like every other list of the API. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Tokens(List<Listed> tokens) {}

  @Get
  public Tokens list() throws Exception {
    List<Listed> listed = new java.util.ArrayList<>();
    for (StoredTokens.Listed t : tokens.list()) {
      listed.add(
          new Listed(
              t.name(), t.role().name().toLowerCase(Locale.ROOT), t.createdAt(), t.revokedAt()));
    }
    return new Tokens(listed);
  }

  @Delete("/{name}")
  public HttpResponse<Void> revoke(@PathVariable String name) throws Exception {
    if (!tokens.revoke(name)) {
      throw ApiException.notFound("token " + name);
    }
    return HttpResponse.noContent();
  }
}
