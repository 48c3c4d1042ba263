package dev.lineup.service.metrics;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Something of a service with meters of its own (a consumer loop: whether it is stalled, its dead
 * letters, its Kafka clients). The service's HTTP face binds every such bean to the registry its
 * {@code GET /metrics} shows once the service has started. Meters are low-cardinality: never a host
 * or activity id as a label.
 */
public interface Instrumented {

  /** Registers this one's meters in {@code registry}; called once. */
  void instrument(MeterRegistry registry);
}
