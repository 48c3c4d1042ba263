package dev.lineup.service.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogFormatTest {

  @Test
  void jsonInAnyCaseIsJsonAndEverythingElseIsTextNeverNothing() {
    assertThat(LogFormat.of(null)).isEqualTo("text");
    assertThat(LogFormat.of("")).isEqualTo("text");
    assertThat(LogFormat.of("json")).isEqualTo("json");
    assertThat(LogFormat.of(" JSON ")).isEqualTo("json");
    assertThat(LogFormat.of("text")).isEqualTo("text");
    // A typo or another format must not pick an appender that does not exist (silence).
    assertThat(LogFormat.of("logfmt")).isEqualTo("text");
    assertThat(LogFormat.of("${oops}")).isEqualTo("text");
  }
}
