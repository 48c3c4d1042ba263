package dev.lineup.service.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The services' one log encoder: text with the configured {@code pattern}, or one JSON object a
 * line when {@code LINEUP_LOG_FORMAT=json} ({@link LogFormat}). One appender with a chosen encoder,
 * rather than an appender per format picked by name: logback warns of an appender nobody
 * references, and a warning makes it print its whole configuration status at every start.
 */
public final class LineupEncoder extends EncoderBase<ILoggingEvent> {

  private String pattern;
  private Encoder<ILoggingEvent> delegate;

  /** The text format's pattern (logback's {@code PatternLayout}). */
  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    if ("json".equals(LogFormat.of(System.getenv(LogFormat.VARIABLE)))) {
      JsonEncoder json = new JsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithKVPList(false);
      json.setWithMarkers(false);
      json.setWithFormattedMessage(true);
      delegate = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern(pattern);
      delegate = text;
    }
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
