package dev.lineup.service.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micronaut.context.BeanContext;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.context.event.StartupEvent;
import jakarta.inject.Singleton;

/**
 * Binds every {@link Instrumented} bean of the service (its consumer loops) to the service's
 * registry once it has started: done here rather than as Micrometer {@code MeterBinder} beans,
 * which Micronaut would create with the registry, before the beans they need. At shutdown the
 * registry leaves Micrometer's global one, where Micronaut adds it: a JVM that runs several
 * services, or starts and stops them in tests, keeps none it closed.
 */
@Singleton
public final class MetricsBinding {

  private final MeterRegistry registry;
  private final BeanContext context;

  public MetricsBinding(MeterRegistry registry, BeanContext context) {
    this.registry = registry;
    this.context = context;
  }

  /** Binds at startup. */
  @Singleton
  static final class OnStartup implements ApplicationEventListener<StartupEvent> {
    private final MetricsBinding binding;

    OnStartup(MetricsBinding binding) {
      this.binding = binding;
    }

    @Override
    public void onApplicationEvent(StartupEvent event) {
      for (Instrumented instrumented : binding.context.getBeansOfType(Instrumented.class)) {
        instrumented.instrument(binding.registry);
      }
    }
  }

  /** Leaves the global registry at shutdown. */
  @Singleton
  static final class OnShutdown implements ApplicationEventListener<ShutdownEvent> {
    private final MetricsBinding binding;

    OnShutdown(MetricsBinding binding) {
      this.binding = binding;
    }

    @Override
    public void onApplicationEvent(ShutdownEvent event) {
      Metrics.removeRegistry(binding.registry);
    }
  }
}
