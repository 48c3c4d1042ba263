package dev.lineup.service.http;

import dev.lineup.service.health.Readiness;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /health}: 200 once every required {@link Readiness} of the service is ready, else 503.
 * A check that is not required (the MDM server) is reported in the body, and turns the status to
 * {@code degraded}, but not the answer to 503: the instance still serves everything else, and a
 * load balancer must keep it.
 */
@Controller("/health")
public final class HealthController {

  private final List<Readiness> checks;

  public HealthController(List<Readiness> checks) {
    this.checks = checks;
  }

  /**
   * @param status {@code up}, {@code degraded} (only checks that are not required are down) or
   *     {@code down}
   * @param checks each check by name: "up" or "down"
   * @param details for checks that are down, what it means, where the check says
   */
  @Serdeable
  public record Health(
      String status, Map<String, String> checks, @Nullable Map<String, String> details) {}

  @Get
  public HttpResponse<Health> health() {
    Map<String, String> states = new TreeMap<>();
    Map<String, String> details = new TreeMap<>();
    boolean up = true;
    boolean degraded = false;
    for (Readiness check : checks) {
      boolean ready = check.ready();
      states.put(check.name(), ready ? "up" : "down");
      if (!ready && check.detail() != null) {
        details.put(check.name(), check.detail());
      }
      if (check.required()) {
        up &= ready;
      } else {
        degraded |= !ready;
      }
    }
    String status = !up ? "down" : degraded ? "degraded" : "up";
    return HttpResponse.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
        .body(new Health(status, states, details.isEmpty() ? null : details));
  }
}
