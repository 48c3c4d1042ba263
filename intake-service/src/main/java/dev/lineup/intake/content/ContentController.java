package dev.lineup.intake.content;

import dev.lineup.service.problem.ApiException;
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

/** {@code PUT /v1/contents}: store a script or file once; answers its SHA-256. */
@Controller("/v1/contents")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class ContentController {

  @Serdeable
  public record Stored(String sha256, int size) {}

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
  public byte[] get(@io.micronaut.http.annotation.PathVariable String sha256) throws Exception {
    return store.get(sha256).orElseThrow(() -> ApiException.notFound("content " + sha256));
  }

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
