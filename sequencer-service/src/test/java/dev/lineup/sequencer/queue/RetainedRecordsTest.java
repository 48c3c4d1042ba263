package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityState;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.sequencer.state.ActivityRecord;
import java.time.Instant;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * What a tiered store keeps apart, told by the bytes alone: an ended activity's record and its
 * forget deadline, and nothing else of the queue's.
 */
class RetainedRecordsTest {

  private static final Instant AT = Instant.parse("2026-12-07T12:00:00Z");

  @Test
  void anActivitysRecordIsRetainedFromItsEndAndNotBefore() {
    byte[] key = inSection(Section.ACTIVITIES, KeyParts.id("a-1"));
    ActivityRecord record =
        Records.accepted(TestActivities.script("mac-1", "a-1", AT).build(), 7, new byte[] {1});
    assertThat(RetainedRecords.mayBeRetained(key)).isTrue();
    for (ActivityState state : ActivityState.values()) {
      record.setState(state.name());
      assertThat(RetainedRecords.isRetained(key, StateCodec.encode(record)))
          .as("a record %s", state)
          .isEqualTo(Lifecycle.isTerminal(state));
    }
  }

  @Test
  void aForgetDeadlineIsRetainedAndNoOtherDeadlineIs() {
    for (Deadline.Kind kind : Deadline.Kind.values()) {
      byte[] key = inSection(Section.DEADLINES, new Deadline(AT.toEpochMilli(), kind, "a-1").key());
      boolean forget = kind == Deadline.Kind.FORGET;
      assertThat(RetainedRecords.mayBeRetained(key)).as("%s", kind).isEqualTo(forget);
      assertThat(RetainedRecords.isRetained(key, new byte[0])).as("%s", kind).isEqualTo(forget);
    }
  }

  @Test
  void boundsHostsIndexesAndBytesThatDoNotParseAreNot() {
    byte act = Section.ACTIVITIES.tag();
    assertThat(RetainedRecords.isRetained(new byte[] {act}, new byte[0])).isFalse();
    assertThat(RetainedRecords.isRetained(new byte[] {act, 0}, new byte[0])).isFalse();
    assertThat(RetainedRecords.isRetained(new byte[] {act, 'a'}, new byte[] {1, 2, 3})).isFalse();
    byte[] garbled = new byte[40];
    Arrays.fill(garbled, (byte) 0xC3);
    assertThat(RetainedRecords.isRetained(new byte[] {act, 'a'}, garbled)).isFalse();
    for (Section section : Section.values()) {
      if (section != Section.ACTIVITIES && section != Section.DEADLINES) {
        byte[] key = inSection(section, KeyParts.id("a-1"));
        assertThat(RetainedRecords.mayBeRetained(key)).as("%s", section).isFalse();
      }
    }
  }

  @Test
  void everyReleasedActivityRecordHasItsStateFifthAfterFourStrings() {
    for (String version : StateCodec.HISTORY) {
      if (!version.startsWith("ActivityRecord/")) {
        continue;
      }
      var fields = StateCodec.released(version).getFields().subList(0, 5);
      assertThat(fields.stream().map(Schema.Field::name))
          .as(version)
          .containsExactly("activity_id", "host_id", "type", "lane", "state");
      assertThat(fields.stream().map(f -> f.schema().getType()))
          .as(version)
          .containsOnly(Schema.Type.STRING);
    }
  }

  @Test
  void onlyRangesReachingIntoTheActivitiesOrTheDeadlinesMayHoldOne() {
    assertThat(RetainedRecords.mayHoldRetained(null, null)).isTrue();
    assertThat(mayHold(Section.HOSTS, Section.HOSTS)).isFalse();
    assertThat(mayHold(Section.READY, Section.UPCOMING)).isFalse();
    assertThat(mayHold(Section.DEDUPE, Section.LAYOUT)).isFalse();
    assertThat(mayHold(Section.ACTIVITIES, Section.ACTIVITIES)).isTrue();
    assertThat(mayHold(Section.DEADLINES, Section.DEADLINES)).isTrue();
    assertThat(mayHold(Section.HOSTS, Section.READY)).isTrue();
    assertThat(mayHold(Section.RELEASED, Section.DEPENDENTS)).isTrue();
  }

  private static boolean mayHold(Section from, Section to) {
    return RetainedRecords.mayHoldRetained(
        inSection(from, new byte[] {'a'}), inSection(to, new byte[] {'z'}));
  }

  private static byte[] inSection(Section section, byte[] key) {
    byte[] whole = new byte[key.length + 1];
    whole[0] = section.tag();
    System.arraycopy(key, 0, whole, 1, key.length);
    return whole;
  }
}
