package dev.lineup.devstack;

import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Platform;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A Windows MDM bridge as docs/MDM.md describes one, the smallest that works: it reads {@code
 * lineup.released.mdm} in a consumer group of its own, takes the activities whose payload names
 * platform {@code windows} (an Apple MDM server's adapter leaves those alone), hands each SyncML
 * command to its "device" (here: it records it, and the device answers status 200 to the command's
 * CmdID), and reports on {@code lineup.results}: DELIVERED when the device has the command, then
 * SUCCEEDED or FAILED from the SyncML status. A real bridge would hold the command until the device
 * checks in (OMA-DM sessions) and read the status from the device's reply.
 */
final class WindowsMdmBridge implements AutoCloseable {

  private static final Pattern CMD_ID = Pattern.compile("<CmdID>([^<]+)</CmdID>");

  /** A SyncML command the "device" received: the activity, its attempt and the CmdID. */
  record Received(String activityId, int attempt, String cmdId, String syncMl) {}

  final List<Received> received = new CopyOnWriteArrayList<>();

  private final KafkaConsumer<String, ReleasedActivity> consumer;
  private final KafkaProducer<String, dev.lineup.avro.ActivityResult> producer;
  private final Thread thread;

  WindowsMdmBridge(String bootstrap) {
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "windows-mdm-bridge",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            Topics.RELEASED_MDM.keySerde().deserializer(),
            Topics.RELEASED_MDM.valueSerde().deserializer());
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            Topics.RESULTS.keySerde().serializer(),
            Topics.RESULTS.valueSerde().serializer());
    consumer.subscribe(List.of(Topics.RELEASED_MDM.name()));
    thread = new Thread(this::run, "windows-mdm-bridge");
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        for (ConsumerRecord<String, ReleasedActivity> record :
            consumer.poll(Duration.ofMillis(200))) {
          ReleasedActivity released = record.value();
          if (released.getActivity().getPayload() instanceof MdmCommandPayload mdm
              && mdm.getPlatform() == Platform.WINDOWS) {
            deliver(released, mdm);
          }
        }
        consumer.commitSync();
      }
    } catch (WakeupException e) {
      // closing
    }
  }

  private void deliver(ReleasedActivity released, MdmCommandPayload mdm) {
    ByteBuffer bytes = mdm.getRawCommand().duplicate();
    byte[] raw = new byte[bytes.remaining()];
    bytes.get(raw);
    String syncMl = new String(raw, StandardCharsets.UTF_8);
    Matcher cmdId = CMD_ID.matcher(syncMl);
    Results.Attempt attempt = Results.Attempt.of(released);
    String host = released.getActivity().getHostId();
    if (!cmdId.find()) {
      send(host, Results.undeliverable(attempt, Instant.now(), "not a SyncML command: no CmdID"));
      return;
    }
    received.add(new Received(attempt.activityId(), attempt.attempt(), cmdId.group(1), syncMl));
    send(host, Results.delivered(attempt, Instant.now()));
    // The device's reply: <Status><CmdRef>CmdID</CmdRef><Data>200</Data></Status>.
    String reply =
        "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>"
            + cmdId.group(1)
            + "</CmdRef><Cmd>Exec</Cmd><Data>200</Data></Status>";
    send(host, Results.ended(attempt, ResultKind.SUCCEEDED, Instant.now(), 200, reply));
  }

  private void send(String host, dev.lineup.avro.ActivityResult result) {
    try {
      producer.send(new ProducerRecord<>(Topics.RESULTS.name(), host, result)).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    consumer.wakeup();
    thread.join(10_000);
    consumer.close();
    producer.close();
  }
}
