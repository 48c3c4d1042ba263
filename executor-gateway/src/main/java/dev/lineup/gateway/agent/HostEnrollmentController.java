package dev.lineup.gateway.agent;

import dev.lineup.service.problem.ApiException;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

/**
 * {@code DELETE /v1/agent/hosts/{hostId}/enrollment} (admin API token, see {@code
 * http.GatewayAccessPolicy}): revokes the host's token, so the host can enroll again with the
 * enroll secret alone, after it lost its token (reinstalled, disk replaced). 204, or 404 if the
 * host never enrolled.
 */
@Controller("/v1/agent/hosts/{hostId}/enrollment")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class HostEnrollmentController {

  private final Enrollments enrollments;

  public HostEnrollmentController(Enrollments enrollments) {
    this.enrollments = enrollments;
  }

  @Delete
  public HttpResponse<Void> reset(@PathVariable String hostId) throws Exception {
    if (!dev.lineup.schemas.Limits.isHostId(hostId)) {
      throw ApiException.invalid(
          java.util.List.of(
              new dev.lineup.service.problem.Problem.FieldError(
                  "host_id", "must be 1 to 255 characters without control characters")));
    }
    if (!enrollments.reset(hostId)) {
      throw ApiException.notFound("host " + hostId + " never enrolled");
    }
    return HttpResponse.noContent();
  }
}
