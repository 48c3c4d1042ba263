package dev.lineup.gateway.delivery;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;
import dev.lineup.service.health.Readiness;
import dev.lineup.service.kafka.ConsumerLoop;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Takes released activities off the three channel topics into the deliveries table. Offsets are
 * committed after the rows are, and rows are keyed by activity and attempt, so a crash between the
 * two re-records nothing twice and loses nothing.
 */
@Context
public final class ReleasedConsumer implements Readiness, AutoCloseable {

  private final ConsumerLoop<String, ReleasedActivity> loop;

  public ReleasedConsumer(
      Deliveries deliveries,
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.gateway.group-id}") String groupId) {
    loop =
        new ConsumerLoop<String, ReleasedActivity>(
                "gateway-released",
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.GROUP_ID_CONFIG, groupId),
                records -> {
                  List<ReleasedActivity> released = new ArrayList<>(records.count());
                  records.forEach(
                      r -> {
                        if (r.value() != null) {
                          released.add(r.value());
                        }
                      });
                  deliveries.record(released);
                },
                Topics.RELEASED_MDM,
                Topics.RELEASED_SCRIPT,
                Topics.RELEASED_INSTALLER)
            .start();
  }

  @Override
  public String name() {
    return "released-consumer";
  }

  @Override
  public boolean ready() {
    return loop.consuming();
  }

  @PreDestroy
  @Override
  public void close() {
    loop.close();
  }
}
