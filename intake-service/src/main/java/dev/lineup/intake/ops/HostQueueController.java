package dev.lineup.intake.ops;

import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * {@code GET /v1/hosts/{hostId}/queue}: the host's live queue as the sequencer holds it, for
 * callers of intake (the ops page) who cannot reach the sequencer or hold no token it knows. Intake
 * asks the sequencer's query API ({@code lineup.intake.sequencer-url}) with its own admin token,
 * the one credential the sequencer accepts; an observer's read is thus answered with an admin's,
 * which is safe because the queue view is read-only and the caller was already allowed to read the
 * ledger's view of the same host. The sequencer's answer (200, or 404 for a host it holds nothing
 * for) is passed through as it is; anything else is a 503, and the ledger's view still answers.
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
    description =
        "The sequencer or Kafka is away, or the sequencer is rebalancing; send the same request again (`Retry-After`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@Controller("/v1/hosts/{hostId}/queue")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class HostQueueController {

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private final URI sequencer;
  private final String adminToken;
  private final Duration timeout;

  public HostQueueController(
      @Value("${lineup.intake.sequencer-url}") URI sequencer,
      @Value("${lineup.admin-token:}") String adminToken,
      @Value("${lineup.intake.ops.read-timeout}") Duration timeout) {
    this.sequencer = sequencer;
    this.adminToken = adminToken;
    this.timeout = timeout;
  }

  @Operation(
      operationId = "getHostQueue",
      summary = "The host's live queue, from the sequencer",
      description =
          "Role: observer. The sequencer's own view (its `GET /v1/hosts/{hostId}/queue`), passed"
              + " through: what it holds and releases now, which the ledger follows.")
  @ApiResponse(
      responseCode = "200",
      description = "The live queue, as the sequencer answers it.",
      content =
          @Content(
              schema =
                  @Schema(
                      type = "object",
                      description = "The sequencer's queue view (docs/CONTRACT.md, Sequencer).")))
  @ApiResponse(
      responseCode = "404",
      description = "The sequencer holds nothing for this host.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "400",
      description = "`hostId` or `limit` out of bounds; each named in `errors`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @Get(produces = MediaType.APPLICATION_JSON)
  public HttpResponse<?> hostQueue(
      @PathVariable String hostId, @QueryValue(defaultValue = "100") int limit)
      throws InterruptedException {
    ActivityValidator.checkHostId(hostId);
    if (limit < 1 || limit > 10_000) {
      throw ApiException.invalid(List.of(new Problem.FieldError("limit", "must be 1 to 10000")));
    }
    if (adminToken.isEmpty()) {
      return unavailable(
          "intake has no admin token (lineup.admin-token) to ask the sequencer with");
    }
    // A path segment: URLEncoder writes a space as '+', which a path reads as a plus sign.
    String segment = URLEncoder.encode(hostId, StandardCharsets.UTF_8).replace("+", "%20");
    HttpRequest request =
        HttpRequest.newBuilder(sequencer.resolve("/v1/hosts/" + segment + "/queue?limit=" + limit))
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + adminToken)
            .timeout(timeout)
            .GET()
            .build();
    java.net.http.HttpResponse<String> answer;
    try {
      answer = HTTP.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return unavailable("the sequencer at " + sequencer + " did not answer: " + e.getMessage());
    }
    int status = answer.statusCode();
    if (status == 200 || status == 404) {
      return HttpResponse.status(HttpStatus.valueOf(status))
          .contentType(
              answer
                  .headers()
                  .firstValue(HttpHeaders.CONTENT_TYPE)
                  .orElse(MediaType.APPLICATION_JSON))
          .body(answer.body());
    }
    if (status == 401 || status == 403) {
      return unavailable(
          "the sequencer refused intake's admin token: give both the same lineup.admin-token");
    }
    return unavailable("the sequencer answered " + status + " (starting, or rebalancing)");
  }

  private static HttpResponse<?> unavailable(String detail) {
    return Problem.retryLater("Sequencer unavailable", detail);
  }
}
