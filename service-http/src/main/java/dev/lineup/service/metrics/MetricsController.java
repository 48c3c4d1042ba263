package dev.lineup.service.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;

/**
 * {@code GET /metrics}: the service's meters as Prometheus text, without a token (docs/CONTRACT.md,
 * Operations). The registry is Micronaut's (micronaut-micrometer): JVM, process, HTTP server, the
 * Kafka clients' and Lineup's own ({@code lineup_*}, docs/OPERATIONS.md). Nothing in it names a
 * host, an activity or a credential: the HTTP server's requests are tagged by route template.
 */
@Controller("/metrics")
public final class MetricsController {

  /** The Prometheus text format this answers in. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;

  public MetricsController(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  @Get(produces = CONTENT_TYPE)
  public String scrape() {
    return registry.scrape();
  }
}
