package dev.lineup.intake.content;

import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code PUT /v1/contents}: store a script or file once; answers its SHA-256. */
@Controller("/v1/contents")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "contents")
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
@ApiResponse(
    responseCode = "403",
    description = "The token's role is below operator: stored content may hold secrets.",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
public final class ContentController {

  @Serdeable
  @Schema(name = "StoredContent")
  public record Stored(@Schema(pattern = "^[0-9a-f]{64}$") String sha256, int size) {}

  private final ContentStore store;
  private final int maxBytes;

  public ContentController(
      ContentStore store, @Value("${lineup.intake.limits.script-bytes}") int maxBytes) {
    this.store = store;
    this.maxBytes = maxBytes;
  }

  /** The stored bytes of {@code sha256}: what the gateway hands agents for their tasks. */
  @io.micronaut.http.annotation.Get(
      value = "/{sha256}",
      produces = MediaType.APPLICATION_OCTET_STREAM)
  @Operation(
      operationId = "getContent",
      summary = "Read stored content",
      description = "Role: operator. The bytes stored under this SHA-256.")
  @ApiResponse(
      responseCode = "200",
      description = "The stored bytes.",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "404",
      description = "Nothing is stored under this SHA-256.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public byte[] get(@io.micronaut.http.annotation.PathVariable String sha256) throws Exception {
    return store.get(sha256).orElseThrow(() -> ApiException.notFound("content " + sha256));
  }

  @Operation(
      operationId = "storeContent",
      summary = "Store a script or file",
      description =
          "Role: operator. Stores the raw body once (1 byte to 1 MiB) and answers its SHA-256,"
              + " which payloads then name (`script_sha256`, `profile_sha256`, ...).")
  @ApiResponse(
      responseCode = "201",
      description = "Stored (or already stored): its SHA-256 and size.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(implementation = Stored.class)))
  @ApiResponse(
      responseCode = "400",
      description = "An empty body.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "413",
      description = "Content over 1 MiB (`lineup.intake.limits.script-bytes`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @Put(consumes = {MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN, MediaType.ALL})
  public HttpResponse<Stored> put(@Body byte[] body) throws Exception {
    if (body == null || body.length == 0) {
      throw new ApiException(
          HttpStatus.BAD_REQUEST, "Empty content", "the body is the content to store");
    }
    if (body.length > maxBytes) {
      throw new ApiException(
          HttpStatus.REQUEST_ENTITY_TOO_LARGE,
          "Content too large",
          "content may be at most " + maxBytes + " bytes");
    }
    return HttpResponse.created(new Stored(store.put(body), body.length));
  }
}
