package dev.lineup.service.scheduling;

import io.micronaut.context.BeanContext;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.inject.qualifiers.Qualifiers;
import io.micronaut.scheduling.TaskExecutors;
import jakarta.inject.Singleton;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the service's scheduled tasks ({@code @Scheduled} methods, run on Micronaut's {@code
 * scheduled} executor) first thing at shutdown, before the context destroys the beans they run on.
 * Micronaut asks the context for a task's bean each time the task fires: one that fired while the
 * beans were being destroyed made the context build its bean again, which failed for want of the
 * beans already gone, and logged an ERROR ("Error creating scheduled task for bean [ScheduleFiring]
 * ... No bean of type [SecretScan] exists") on an ordinary shutdown. A task running when shutdown
 * begins is let finish, for up to {@link #FINISH} seconds.
 */
@Singleton
final class ScheduledTasksFirst implements ApplicationEventListener<ShutdownEvent> {

  private static final Logger LOG = LoggerFactory.getLogger(ScheduledTasksFirst.class);
  private static final long FINISH = 10;

  private final BeanContext context;

  ScheduledTasksFirst(BeanContext context) {
    this.context = context;
  }

  @Override
  public void onApplicationEvent(ShutdownEvent event) {
    // Only if the service made one: a service without scheduled tasks has none to stop.
    for (var registration :
        context.getActiveBeanRegistrations(Qualifiers.byName(TaskExecutors.SCHEDULED))) {
      if (!(registration.getBean() instanceof ExecutorService scheduled)) {
        continue;
      }
      if (scheduled instanceof ScheduledThreadPoolExecutor pool) {
        // Neither the next run of a periodic task nor a delayed one that has not started.
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      }
      scheduled.shutdown();
      try {
        if (!scheduled.awaitTermination(FINISH, TimeUnit.SECONDS)) {
          LOG.warn(
              "A scheduled task still runs after {} s of shutdown; stopping without it", FINISH);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
