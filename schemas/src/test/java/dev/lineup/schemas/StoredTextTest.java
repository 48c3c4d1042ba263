package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StoredTextTest {

  @Test
  void nulAndUnpairedSurrogatesBecomeReplacementCharacters() {
    assertThat(StoredText.clean("a\u0000b")).isEqualTo("a\uFFFDb");
    assertThat(StoredText.clean("x\uD800y\uDC00")).isEqualTo("x\uFFFDy\uFFFD");
    assertThat(StoredText.clean("pair \uD83D\uDE00 kept")).isEqualTo("pair \uD83D\uDE00 kept");
    String plain = "nothing to do";
    assertThat(StoredText.clean(plain)).isSameAs(plain);
  }

  @Test
  void longTextIsCutOnACharacterBoundaryWithinTheLimitAndMarked() {
    String text = "é".repeat(100_000) + "\uD83D\uDE00".repeat(10_000);
    String cut = StoredText.of(text, 65_536);

    byte[] bytes = cut.getBytes(StandardCharsets.UTF_8);
    assertThat(bytes.length).isLessThanOrEqualTo(65_536).isGreaterThan(65_520);
    assertThat(cut).endsWith(StoredText.TRUNCATED).doesNotContain("\uFFFD");
    assertThat(StoredText.of("short", 65_536)).isEqualTo("short");
    assertThat(StoredText.of(null, 10)).isNull();
  }
}
