package dev.lineup.intake.ops;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lineup.intake.ledger.BatchView;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * {@code GET /v1/batches?limit=}: the newest batches with their counts, as {@code GET
 * /v1/batches/{batchId}} answers each. The ids come newest first from the {@code batches} table's
 * time index; each batch's counts from the activities' batch index, so a page costs {@code limit}
 * small reads however many batches the ledger holds.
 */
@Tag(name = "operations")
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
    description = "PostgreSQL is away; send the same request again (`Retry-After`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@Controller("/v1/batches")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class RecentBatchesController {

  static final int MAX_LIMIT = 50;

  private final DataSource db;
  private final Ledger ledger;

  public RecentBatchesController(DataSource db, Ledger ledger) {
    this.db = db;
    this.ledger = ledger;
  }

  /** The newest batches first. */
  @Serdeable
  // An empty page is [] (not left out), as a client iterating it expects.
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Batches(List<BatchView> batches) {}

  @Operation(
      operationId = "listRecentBatches",
      summary = "The newest batches with their counts by state",
      description = "Role: observer. From the ledger.")
  @ApiResponse(responseCode = "200", description = "The newest batches, newest first.")
  @ApiResponse(
      responseCode = "400",
      description = "`limit` out of bounds; each named in `errors`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @Get
  public Batches recentBatches(@QueryValue(defaultValue = "20") int limit) throws Exception {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("limit", "must be 1 to " + MAX_LIMIT)));
    }
    List<String> ids = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement newest =
            c.prepareStatement("SELECT batch_id FROM batches ORDER BY created_at DESC LIMIT ?")) {
      newest.setInt(1, limit);
      try (ResultSet rs = newest.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    List<BatchView> batches = new ArrayList<>();
    for (String id : ids) {
      ledger.batch(id).ifPresent(batches::add);
    }
    return new Batches(batches);
  }
}
