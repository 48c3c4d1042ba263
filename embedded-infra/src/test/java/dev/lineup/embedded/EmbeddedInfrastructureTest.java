package dev.lineup.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.schemas.TopicProvisioner;
import dev.lineup.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedInfrastructureTest {

  @TempDir Path dataDir;

  @Test
  void aRestartOnTheSameDirectoryKeepsTopicsRecordsAndRows() throws Exception {
    try (var kafka = EmbeddedKafka.start(dataDir, 0, Map.of());
        var db = EmbeddedDatabase.start(dataDir, 0)) {
      TopicProvisioner.provision(kafka.bootstrapServers(), 2, (short) 1);
      produce(kafka.bootstrapServers(), "host-1", "kept");
      db.ensureDatabase("ledger");
      try (var c = DriverManager.getConnection(db.jdbcUrl("ledger"), db.user(), "")) {
        c.createStatement().execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('row')");
      }
    }

    try (var kafka = EmbeddedKafka.start(dataDir, 0, Map.of());
        var db = EmbeddedDatabase.start(dataDir, 0)) {
      assertThat(consumeAll(kafka.bootstrapServers())).containsExactly("kept");
      try (var c = DriverManager.getConnection(db.jdbcUrl("ledger"), db.user(), "");
          var rs = c.createStatement().executeQuery("SELECT v FROM kept")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("row");
      }
    }
    assertThat(Files.exists(dataDir.resolve("kafka/meta.properties"))).isTrue();
  }

  @Test
  void provisioningCreatesEveryTopicWithOnePartitionCountAndIsRepeatable() throws Exception {
    try (var kafka = EmbeddedKafka.start(dataDir, 0, Map.of())) {
      TopicProvisioner.provision(kafka.bootstrapServers(), 4, (short) 1);
      TopicProvisioner.provision(kafka.bootstrapServers(), 4, (short) 1);

      try (var admin =
          org.apache.kafka.clients.admin.Admin.create(
              Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        var topics =
            admin
                .describeTopics(Topics.ALL.stream().map(t -> t.name()).toList())
                .allTopicNames()
                .get();
        assertThat(topics).hasSize(Topics.ALL.size());
        topics.values().forEach(d -> assertThat(d.partitions()).hasSize(4));
      }
    }
  }

  @Test
  void provisioningReturnsOnlyOnceEveryPartitionOfAFreshBrokerHasALeader() throws Exception {
    // The controller acknowledges a creation before the broker applies it; a describe in that
    // gap used to fail about one fresh start in twenty-five on a busy two-core box. Ten fresh
    // brokers, each described at once with no retry.
    for (int start = 0; start < 10; start++) {
      Path dir = Files.createTempDirectory(dataDir, "fresh-");
      try (var kafka = EmbeddedKafka.start(dir, 0, Map.of());
          var admin =
              org.apache.kafka.clients.admin.Admin.create(
                  Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        TopicProvisioner.provision(kafka.bootstrapServers(), 3, (short) 1);

        var topics =
            admin
                .describeTopics(Topics.ALL.stream().map(t -> t.name()).toList())
                .allTopicNames()
                .get();
        topics
            .values()
            .forEach(
                d ->
                    assertThat(d.partitions()).allSatisfy(p -> assertThat(p.leader()).isNotNull()));
      }
    }
  }

  private static void produce(String bootstrap, String key, String value) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(Topics.EVENTS.name(), key, value)).get();
    }
  }

  private static List<String> consumeAll(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "restart-check");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> values = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(Topics.EVENTS.name()));
      long deadline = System.currentTimeMillis() + 20_000;
      while (values.isEmpty() && System.currentTimeMillis() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> values.add(r.value()));
      }
    }
    return values;
  }
}
