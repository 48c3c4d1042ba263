package dev.lineup.intake.api;

import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.ledger.SummaryView;
import dev.lineup.service.problem.Problem;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code GET /v1/summary}: counts by type and state, from the ledger. */
@Controller("/v1/summary")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "activities")
@ApiResponse(
    responseCode = "401",
    description = "No bearer token, or one that is not known (`WWW-Authenticate: Bearer`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@ApiResponse(
    responseCode = "429",
    description = "The token's (or the address's) request rate is used up; see `Retry-After`.",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@ApiResponse(
    responseCode = "503",
    description = "Kafka or PostgreSQL is away; send the same request again (`Retry-After`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
public final class SummaryController {

  private final Ledger ledger;

  public SummaryController(Ledger ledger) {
    this.ledger = ledger;
  }

  @Get
  @Operation(
      operationId = "getSummary",
      summary = "Count activities by type and state",
      description = "Role: observer. From the ledger.")
  @ApiResponse(responseCode = "200", description = "The counts.")
  public SummaryView summary() throws Exception {
    return new SummaryView(ledger.summary());
  }
}
