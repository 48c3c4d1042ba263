package dev.lineup.schemas;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReleasedActivity;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every Lineup topic. All are keyed by host id (UTF-8) and share one partition count, so a host's
 * records meet in one sequencer task.
 */
public final class Topics {

  private static final Serde<String> HOST_ID = Serdes.String();

  /**
   * The key of a command written to every partition of {@link #COMMANDS} (a selector cancel); never
   * a valid host id.
   */
  public static final String BROADCAST_KEY = "*";

  /** Activity requests from upstream Kafka producers. */
  public static final Topic<String, ActivityRequest> REQUESTS =
      new Topic<>("lineup.requests", HOST_ID, AvroSerde.of(ActivityRequest.class));

  /**
   * Requests that failed decoding or validation: the original bytes, with the reason, source topic,
   * partition and offset in headers (see {@link DeadLetterHeaders}).
   */
  public static final Topic<byte[], byte[]> REQUESTS_DLQ =
      new Topic<>("lineup.requests.dlq", Serdes.ByteArray(), Serdes.ByteArray());

  /**
   * Enqueue, cancel, cancel-upcoming, pause, resume, purge: the sequencer's only input of intent.
   */
  public static final Topic<String, Command> COMMANDS =
      new Topic<>("lineup.commands", HOST_ID, AvroSerde.of(Command.class));

  public static final Topic<String, ReleasedActivity> RELEASED_MDM = released("mdm");
  public static final Topic<String, ReleasedActivity> RELEASED_SCRIPT = released("script");
  public static final Topic<String, ReleasedActivity> RELEASED_INSTALLER = released("installer");

  /** Delivered, heartbeat, succeeded, failed: from the gateway and device gateways. */
  public static final Topic<String, ActivityResult> RESULTS =
      new Topic<>("lineup.results", HOST_ID, AvroSerde.of(ActivityResult.class));

  /** The lifecycle log: every state change with its reason. */
  public static final Topic<String, LifecycleEvent> EVENTS =
      new Topic<>("lineup.events", HOST_ID, AvroSerde.of(LifecycleEvent.class));

  /**
   * The events that end an activity other than by its report (CANCELLED, EXPIRED), also written to
   * {@link #EVENTS} in the same transaction: whoever hands work out (the gateway, device gateways)
   * learns here which task credentials and pending deliveries to revoke, without reading every
   * lifecycle event.
   */
  public static final Topic<String, LifecycleEvent> REVOCATIONS =
      new Topic<>("lineup.revocations", HOST_ID, AvroSerde.of(LifecycleEvent.class));

  /**
   * Records the sequencer could not decode or whose processing threw (changing no state), with the
   * reason in headers.
   */
  public static final Topic<byte[], byte[]> SEQUENCER_DLQ = deadLetters("sequencer");

  /** Events the ledger projection could not decode or store, with the reason in headers. */
  public static final Topic<byte[], byte[]> LEDGER_DLQ = deadLetters("ledger");

  /**
   * Released activities and events the gateway's consumers could not decode or record, with the
   * reason and the refusing consumer in headers.
   */
  public static final Topic<byte[], byte[]> GATEWAY_DLQ = deadLetters("gateway");

  /** Every topic, for provisioning. */
  public static final List<Topic<?, ?>> ALL =
      List.of(
          REQUESTS,
          REQUESTS_DLQ,
          COMMANDS,
          RELEASED_MDM,
          RELEASED_SCRIPT,
          RELEASED_INSTALLER,
          RESULTS,
          EVENTS,
          REVOCATIONS,
          SEQUENCER_DLQ,
          LEDGER_DLQ,
          GATEWAY_DLQ);

  /** Every dead-letter topic: {@code lineup.<consumer>.dlq}. */
  public static final List<Topic<byte[], byte[]>> DEAD_LETTERS =
      List.of(REQUESTS_DLQ, SEQUENCER_DLQ, LEDGER_DLQ, GATEWAY_DLQ);

  /** The released topics, one per channel. */
  public static final List<Topic<String, ReleasedActivity>> RELEASED =
      List.of(RELEASED_MDM, RELEASED_SCRIPT, RELEASED_INSTALLER);

  private Topics() {}

  /** The topic a released activity of this channel goes to. */
  public static Topic<String, ReleasedActivity> released(Channel channel) {
    return switch (channel) {
      case MDM -> RELEASED_MDM;
      case SCRIPT -> RELEASED_SCRIPT;
      case INSTALLER -> RELEASED_INSTALLER;
      case UNKNOWN_CHANNEL ->
          throw new IllegalArgumentException("an activity without a known channel has no topic");
    };
  }

  private static Topic<byte[], byte[]> deadLetters(String consumer) {
    return new Topic<>("lineup." + consumer + ".dlq", Serdes.ByteArray(), Serdes.ByteArray());
  }

  private static Topic<String, ReleasedActivity> released(String channel) {
    return new Topic<>("lineup.released." + channel, HOST_ID, AvroSerde.of(ReleasedActivity.class));
  }
}
