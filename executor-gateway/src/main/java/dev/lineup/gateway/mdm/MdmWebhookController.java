package dev.lineup.gateway.mdm;

import dev.lineup.avro.ResultKind;
import dev.lineup.gateway.agent.ReportedOutput;
import dev.lineup.gateway.agent.ResultPublisher;
import dev.lineup.gateway.delivery.Deliveries;
import dev.lineup.schemas.Results;
import dev.lineup.service.auth.RequestCharge;
import dev.lineup.service.auth.TokenHashes;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * {@code POST /v1/mdm/webhook?secret=...}: results from an MDM server in the NanoMDM/MicroMDM
 * webhook format. {@code Acknowledged} ends the attempt SUCCEEDED, {@code Error} FAILED; {@code
 * NotNow} (the device will retry later) keeps it pending and extends its lease. NanoMDM does not
 * sign webhooks, so the URL carries a shared secret.
 *
 * <p>An acknowledgement counts only for the command Lineup sent to the enrollment it comes from:
 * its enrollment id (or UDID) and its command UUID must both match a delivered attempt. Events
 * about commands Lineup did not send there are acknowledged and ignored. The reported payload
 * becomes the output through {@link ReportedOutput}, like an agent's.
 */
@Controller("/v1/mdm/webhook")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "mdm")
public final class MdmWebhookController {

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "MdmWebhook", description = "A NanoMDM/MicroMDM webhook event.")
  public record Webhook(
      @Nullable String topic,
      // type = object: OpenAPI 3.0 wants a type beside `nullable` on a reference.
      @Schema(type = "object") @Nullable AcknowledgeEvent acknowledgeEvent) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "MdmAcknowledgeEvent")
  public record AcknowledgeEvent(
      @Nullable String udid,
      @Nullable String enrollmentId,
      @Schema(
              description =
                  "Acknowledged ends the attempt SUCCEEDED; Error or CommandFormatError FAILED;"
                      + " NotNow extends its lease. Others are ignored.",
              example = "Acknowledged")
          @Nullable
          String status,
      @Nullable String commandUuid,
      @Nullable String rawPayload) {}

  private final Deliveries deliveries;
  private final ResultPublisher results;
  private final ReportedOutput output;
  private final String secretHash;

  public MdmWebhookController(
      Deliveries deliveries,
      ResultPublisher results,
      ReportedOutput output,
      @Value("${lineup.gateway.mdm.webhook-secret:}") String secret) {
    this.deliveries = deliveries;
    this.results = results;
    this.output = output;
    this.secretHash = secret.isBlank() ? null : TokenHashes.sha256(secret);
  }

  @Post
  @Operation(
      operationId = "mdmWebhook",
      summary = "Take an MDM server's acknowledgement",
      description =
          "Counts only when both the enrollment (or UDID) and the command UUID match an attempt"
              + " Lineup sent; anything else is answered 200 and ignored.",
      security = @SecurityRequirement(name = "webhookSecret"))
  @ApiResponse(responseCode = "200", description = "Taken (or ignored).")
  @ApiResponse(
      responseCode = "401",
      description = "The webhook secret is wrong, missing or not configured.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "429",
      description = "The address's request rate is used up; see `Retry-After`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "503",
      description = "Kafka or PostgreSQL is away; send it again (`Retry-After`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Void> webhook(
      @Parameter(hidden = true) @Nullable @QueryValue String secret,
      @Nullable @Body Webhook body,
      HttpRequest<?> request)
      throws Exception {
    if (secretHash == null
        || secret == null
        || !TokenHashes.sameHash(secretHash, TokenHashes.sha256(secret))) {
      throw new ApiException(
          HttpStatus.UNAUTHORIZED, "Unauthorized", "the webhook secret is wrong or not configured");
    }
    RequestCharge.credentialProven(request);
    AcknowledgeEvent ack = body == null ? null : body.acknowledgeEvent();
    if (ack == null || ack.commandUuid() == null || ack.status() == null) {
      return HttpResponse.ok();
    }
    List<String> enrollment =
        Stream.of(ack.enrollmentId(), ack.udid()).filter(Objects::nonNull).distinct().toList();
    var delivery = deliveries.mdmDelivery(ack.commandUuid(), enrollment);
    if (delivery.isEmpty()) {
      return HttpResponse.ok();
    }
    ResultKind kind =
        switch (ack.status()) {
          case "Acknowledged" -> ResultKind.SUCCEEDED;
          case "Error", "CommandFormatError" -> ResultKind.FAILED;
          case "NotNow" -> ResultKind.HEARTBEAT;
          default -> null;
        };
    if (kind == null) {
      return HttpResponse.ok();
    }
    var attempt =
        new Results.Attempt(
            delivery.get().activityId(), delivery.get().hostId(), delivery.get().attempt());
    String reported = kind == ResultKind.HEARTBEAT ? null : output.keep(decoded(ack.rawPayload()));
    results.publish(
        kind == ResultKind.HEARTBEAT
            ? Results.heartbeat(attempt, Instant.now(), null)
            : Results.ended(attempt, kind, Instant.now(), null, reported));
    if (kind != ResultKind.HEARTBEAT) {
      deliveries.finishMdm(delivery.get(), kind.name(), reported);
    }
    return HttpResponse.ok();
  }

  private static String decoded(String rawPayload) {
    if (rawPayload == null) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(rawPayload), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return rawPayload;
    }
  }
}
