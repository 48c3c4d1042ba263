package dev.lineup.gateway;

import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeIn;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import io.swagger.v3.oas.annotations.servers.Server;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * Runs the gateway on its own; settings in application-gateway.yml. The OpenAPI document is
 * generated from the controllers at build time (settings in the module's openapi.properties) and
 * served at {@code /openapi/lineup-gateway-1.yml}. Each operation names its own credential: there
 * is no default, as agents, the MDM server and admins each prove themselves differently.
 */
@OpenAPIDefinition(
    info =
        @Info(
            title = "lineup-gateway",
            version = "1",
            description =
                "The executor gateway's HTTP API (docs/CONTRACT.md): agents enroll, poll for"
                    + " tasks, heartbeat and report; an MDM server reports acknowledgements; an"
                    + " admin resets a host's enrollment. Errors are RFC 9457 problem details"
                    + " (`application/problem+json`). `/health`, `/metrics` and this document"
                    + " need no credential."),
    servers = @Server(url = "/", description = "This gateway instance."),
    tags = {
      @Tag(name = "agent", description = "What a device agent calls."),
      @Tag(name = "mdm", description = "What an MDM server calls."),
      @Tag(name = "operators", description = "What an admin calls, with an API token."),
      @Tag(name = "operations", description = "Health and metrics, open to anyone.")
    })
@SecurityScheme(
    name = "hostToken",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    description = "A host token, from `POST /v1/agent/enroll`: claims the host's own tasks only.")
@SecurityScheme(
    name = "taskToken",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    description =
        "A task token, from a polled task: bound to one host, activity and attempt, valid while"
            + " the attempt is delivered and its lease has not lapsed.")
@SecurityScheme(
    name = "adminToken",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    description =
        "The deployment's admin token (`lineup.admin-token`). The gateway knows no other API"
            + " token, so it answers 401, never 403, to any other.")
@SecurityScheme(
    name = "webhookSecret",
    type = SecuritySchemeType.APIKEY,
    in = SecuritySchemeIn.QUERY,
    paramName = "secret",
    description =
        "`lineup.gateway.mdm.webhook-secret`, in the URL, as NanoMDM does not sign webhooks.")
public final class GatewayApplication {

  public static final String ENVIRONMENT = "gateway";

  private GatewayApplication() {}

  public static void main(String[] args) {
    Micronaut.build(args).environments(ENVIRONMENT).banner(false).start();
  }
}
