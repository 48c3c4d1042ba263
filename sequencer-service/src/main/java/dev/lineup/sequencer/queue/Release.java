package dev.lineup.sequencer.queue;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;

/**
 * One attempt of an activity released to its channel, with its lease: {@code value} is the {@link
 * ReleasedActivity} as it goes on the channel's topic, built around the payload as stored ({@link
 * dev.lineup.schemas.ReleasedEncoding}); the other fields are what the sequencer itself needs of
 * it.
 */
public record Release(
    String hostId, ActivityType type, Channel channel, int attempt, long releasedAt, byte[] value) {

  /** The release as its readers see it. */
  public ReleasedActivity decode() {
    return Topics.released(channel).valueSerde().deserializer().deserialize(topic(), value);
  }

  /** The released topic of its channel. */
  public String topic() {
    return Topics.released(channel).name();
  }
}
