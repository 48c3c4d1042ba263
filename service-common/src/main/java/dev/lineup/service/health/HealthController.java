package dev.lineup.service.health;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code GET /health}: 200 once every {@link Readiness} of the service is ready, else 503. */
@Controller("/health")
public final class HealthController {

  private final List<Readiness> checks;

  public HealthController(List<Readiness> checks) {
    this.checks = checks;
  }

  /**
   * @param checks each check by name: "up" or "down"
   */
  @Serdeable
  public record Health(String status, Map<String, String> checks) {}

  @Get
  public HttpResponse<Health> health() {
    Map<String, String> states = new TreeMap<>();
    boolean up = true;
    for (Readiness check : checks) {
      boolean ready = check.ready();
      states.put(check.name(), ready ? "up" : "down");
      up &= ready;
    }
    return HttpResponse.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
        .body(new Health(up ? "up" : "down", states));
  }
}
