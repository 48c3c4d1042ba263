package dev.lineup.intake;

import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import io.swagger.v3.oas.annotations.servers.Server;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * Runs intake on its own; settings in application-intake.yml. The OpenAPI document is generated
 * from the controllers at build time (settings in the module's openapi.properties) and served at
 * {@code /openapi/lineup-intake-1.yml}; {@code OpenApiDocumentsTest} holds it to its rules and
 * {@code ApiConformanceTest} to what the running service answers.
 */
@OpenAPIDefinition(
    info =
        @Info(
            title = "lineup-intake",
            version = "1",
            description =
                "Enqueue, read, cancel and steer the per-host activity queues (docs/CONTRACT.md)."
                    + " Every operation needs an API token as `Authorization: Bearer`; its role"
                    + " (`observer` < `operator` < `admin`) is named in each operation's"
                    + " description. Errors are RFC 9457 problem details"
                    + " (`application/problem+json`). `/health`, `/metrics` and this document need"
                    + " no token."),
    servers = @Server(url = "/", description = "This intake instance."),
    tags = {
      @Tag(name = "activities", description = "Enqueue, read, list and cancel activities."),
      @Tag(name = "batches", description = "Many activities across hosts, all or nothing."),
      @Tag(name = "contents", description = "Scripts and files, stored once by their SHA-256."),
      @Tag(name = "tokens", description = "API tokens and their roles (admins only)."),
      @Tag(name = "operations", description = "Health and metrics, open to anyone.")
    },
    security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(
    name = "bearer",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    description =
        "An API token: the admin token (`lineup.admin-token`) or one made with `POST /v1/tokens`."
            + " Roles nest: `admin` includes `operator`, which includes `observer`.")
public final class IntakeApplication {

  public static final String ENVIRONMENT = "intake";

  private IntakeApplication() {}

  public static void main(String[] args) {
    Micronaut.build(args).environments(ENVIRONMENT).banner(false).start();
  }
}
