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
  public String deliver(ReleasedActivity released) {
    return null;
  }
}
