package dev.lineup.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft Kafka broker (combined broker and controller) in this JVM.
 *
 * <p>Its log lives under the given directory; the directory is formatted only on first start, so a
 * restart on the same directory (even after {@code kill -9}) finds every topic and record. The
 * settings make exactly-once work on one node: transaction log and offsets replication 1.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private final KafkaRaftServer server;
  private final int port;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /**
   * Starts a broker on {@code port} (0 for a free one) keeping its log under {@code dataDir}.
   *
   * @param overrides broker settings that win over the defaults here
   */
  public static EmbeddedKafka start(Path dataDir, int port, Map<String, String> overrides)
      throws Exception {
    return start(dataDir, port, "PLAINTEXT", Map.of(), overrides);
  }

  /**
   * Starts a broker whose clients must authenticate with SASL PLAIN, as {@code user} with {@code
   * password}: its one client listener is {@code SASL_PLAINTEXT}, so a client without those
   * settings never gets an answer. The broker itself talks to itself as another user.
   */
  public static EmbeddedKafka startWithSaslPlain(Path dataDir, String user, String password)
      throws Exception {
    String brokerPassword = UUID.randomUUID().toString();
    String jaas =
        "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"broker\" password=\""
            + brokerPassword
            + "\" user_broker=\""
            + brokerPassword
            + "\" user_"
            + user
            + "=\""
            + password
            + "\";";
    return start(
        dataDir,
        0,
        "SASL_PLAINTEXT",
        Map.of(
            "sasl.enabled.mechanisms", "PLAIN",
            "sasl.mechanism.inter.broker.protocol", "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas),
        Map.of());
  }

  private static EmbeddedKafka start(
      Path dataDir,
      int port,
      String clientListener,
      Map<String, String> listenerSettings,
      Map<String, String> overrides)
      throws Exception {
    int brokerPort = FreePorts.orFree(port);
    int controllerPort = FreePorts.pick();
    Path logDir = dataDir.toAbsolutePath().resolve("kafka");
    Files.createDirectories(logDir);

    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    props.put(
        "listeners",
        clientListener
            + "://127.0.0.1:"
            + brokerPort
            + ","
            + CONTROLLER_LISTENER
            + "://127.0.0.1:"
            + controllerPort);
    props.put("advertised.listeners", clientListener + "://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("inter.broker.listener.name", clientListener);
    props.put(
        "listener.security.protocol.map",
        clientListener + ":" + clientListener + ",CONTROLLER:PLAINTEXT");
    props.putAll(listenerSettings);
    props.put("log.dirs", logDir.toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "6");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "6");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    // A devstack or test box is small: keep the broker's own appetite small too.
    props.put("num.network.threads", "2");
    props.put("num.io.threads", "4");
    props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    props.putAll(overrides);

    KafkaConfig config = KafkaConfig.fromProps(props, false);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir);
    }
    Path brokerLog = dataDir.toAbsolutePath().resolve("kafka-broker.log");
    boolean moved = BrokerLog.toFile(brokerLog);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    LOG.info(
        "Kafka broker up on 127.0.0.1:{} with its data in {}{}",
        brokerPort,
        logDir,
        moved ? " and its own log lines in " + brokerLog : "");
    return new EmbeddedKafka(server, brokerPort);
  }

  private static void format(Path logDir) throws Exception {
    new Formatter()
        .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .setClusterId(shortClusterId())
        .setNodeId(NODE_ID)
        .setReleaseVersion(MetadataVersion.latestProduction())
        .setControllerListenerName(CONTROLLER_LISTENER)
        .setMetadataLogDirectory(logDir.toString())
        .setDirectories(List.of(logDir.toString()))
        .run();
  }

  /** Kafka cluster ids are 22-character URL-safe base64 UUIDs. */
  private static String shortClusterId() {
    return org.apache.kafka.common.Uuid.randomUuid().toString();
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  @Override
  public synchronized void close() {
    // KafkaRaftServer.shutdown is not idempotent (the test kit's close throws the second time).
    if (closed) {
      return;
    }
    closed = true;
    BrokerLog.shuttingDown();
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      BrokerLog.stopped();
    }
    LOG.info("Kafka broker on port {} stopped", port);
  }
}
