package dev.lineup.gateway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Rule 16 on the text itself: what comes out is storable, within the limit, and says it was cut.
 */
class ReportedOutputTest {

  private static final int LIMIT = 64;
  private final ReportedOutput output = new ReportedOutput(LIMIT);

  private static int utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void shortCleanTextIsKeptAsItIs() {
    assertThat(output.keep("exit 0\n✓ done 😀")).isEqualTo("exit 0\n✓ done 😀");
    assertThat(output.keep(null)).isNull();
  }

  @Test
  void nulAndLoneSurrogatesBecomeReplacementCharactersAndPairsStay() {
    assertThat(output.keep("a\u0000b\ud800c\udfffd😀")).isEqualTo("a\uFFFDb\uFFFDc\uFFFDd😀");
    assertThat(output.keep("ends high\ud83d")).isEqualTo("ends high\uFFFD");
  }

  @Test
  void textOfExactlyTheLimitIsNotCut() {
    String exact = "x".repeat(LIMIT);

    assertThat(output.keep(exact)).isEqualTo(exact);
  }

  @Test
  void longerTextIsCutWithinTheLimitMarkerIncluded() {
    String kept = output.keep("y".repeat(LIMIT + 1));

    assertThat(kept).endsWith(ReportedOutput.TRUNCATED).startsWith("yyyy");
    assertThat(utf8(kept)).isEqualTo(LIMIT);
  }

  @Test
  void aCutNeverSplitsACharacter() {
    // Three-byte and four-byte characters straddle every possible cut point.
    for (int prefix = 0; prefix < 4; prefix++) {
      String kept = output.keep("a".repeat(prefix) + "€😀".repeat(LIMIT));

      assertThat(utf8(kept)).isLessThanOrEqualTo(LIMIT);
      assertThat(kept).endsWith(ReportedOutput.TRUNCATED).doesNotContain("\uFFFD");
      assertThat(new String(kept.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
          .isEqualTo(kept);
    }
  }
}
