package dev.lineup.intake;

import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;

/**
 * Runs intake on its own; settings in application-intake.yml. The OpenAPI document is generated
 * from the controllers at build time and served at {@code /openapi/lineup-intake-1.yml}.
 */
@OpenAPIDefinition(
    info =
        @Info(
            title = "lineup-intake",
            version = "1",
            description = "Enqueue, read, cancel and steer the per-host activity queues."),
    security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer")
public final class IntakeApplication {

  public static final String ENVIRONMENT = "intake";

  private IntakeApplication() {}

  public static void main(String[] args) {
    Micronaut.build(args).environments(ENVIRONMENT).banner(false).start();
  }
}
