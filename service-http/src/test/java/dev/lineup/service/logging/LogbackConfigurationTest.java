package dev.lineup.service.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.status.Status;
import org.junit.jupiter.api.Test;

/**
 * The services' logback.xml configures without a warning: logback prints its whole configuration
 * status (some thirty lines) at every start of every service as soon as one status is a warning,
 * such as an appender nobody references.
 */
class LogbackConfigurationTest {

  @Test
  void theServicesLoggingConfiguresWithoutAWarning() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(getClass().getClassLoader().getResource("logback.xml"));

    assertThat(context.getStatusManager().getCopyOfStatusList())
        .filteredOn(status -> status.getLevel() >= Status.WARN)
        .extracting(Status::getMessage)
        .isEmpty();
    assertThat(context.getLogger("ROOT").getAppender("STDERR")).isNotNull();
    context.stop();
  }
}
