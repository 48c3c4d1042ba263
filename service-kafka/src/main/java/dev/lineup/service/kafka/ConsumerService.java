package dev.lineup.service.kafka;

import dev.lineup.service.health.Readiness;
import dev.lineup.service.metrics.Instrumented;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;

/**
 * One consumer of a service: its {@link ConsumerLoop}, started, under the name {@code /health}
 * reports it by, and closed with the service. A subclass says only what is its own (topics, group,
 * handler) by handing the loop to this constructor.
 *
 * <p>The health name is not the loop's: the loop's name is the thread, the client id and the {@link
 * ConsumerLoop#CONSUMER_HEADER} of its dead letters, which operators already filter on.
 */
public abstract class ConsumerService<K, V> implements Readiness, Instrumented, AutoCloseable {

  private final String name;
  private final ConsumerLoop<K, V> loop;

  /**
   * @param name what {@code /health} calls this consumer
   * @param loop not yet started; started here
   */
  protected ConsumerService(String name, ConsumerLoop<K, V> loop) {
    this.name = name;
    this.loop = loop.start();
  }

  @Override
  public final String name() {
    return name;
  }

  /** The loop's own readiness: consuming, and not held up by a broker or database outage. */
  @Override
  public boolean ready() {
    return loop.ready();
  }

  /** The loop's meters ({@link PollingLoop#instrument}). */
  @Override
  public void instrument(MeterRegistry registry) {
    loop.instrument(registry);
  }

  protected final ConsumerLoop<K, V> loop() {
    return loop;
  }

  @PreDestroy
  @Override
  public void close() {
    loop.close();
  }
}
