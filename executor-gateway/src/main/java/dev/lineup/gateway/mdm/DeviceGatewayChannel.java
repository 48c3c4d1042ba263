package dev.lineup.gateway.mdm;

import dev.lineup.avro.ReleasedActivity;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;

/** The {@code kafka} adapter: device gateways read lineup.released.mdm; nothing to send here. */
@Singleton
@Requires(property = "lineup.gateway.mdm.adapter", value = "kafka", defaultValue = "kafka")
public final class DeviceGatewayChannel implements MdmChannel {

  @Override
  public boolean sendsCommands() {
    return false;
  }

  @Override
  public Command command(ReleasedActivity released) {
    throw new IllegalStateException("device gateways build their own commands");
  }

  @Override
  public void send(String enrollment, Command command) {
    throw new IllegalStateException("device gateways send their own commands");
  }
}
