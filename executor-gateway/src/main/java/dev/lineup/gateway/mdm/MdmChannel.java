package dev.lineup.gateway.mdm;

import dev.lineup.avro.ReleasedActivity;

/**
 * How released MDM activities reach devices; chosen by {@code lineup.gateway.mdm.adapter}:
 *
 * <ul>
 *   <li>{@code kafka} (default): device gateways consume {@code lineup.released.mdm} themselves and
 *       write results to {@code lineup.results} (see docs/MDM.md);
 *   <li>{@code nanomdm}: the gateway enqueues each command on a NanoMDM-compatible server and takes
 *       results from its webhook.
 * </ul>
 *
 * Building a command and sending it are two steps, so the gateway can record the command UUID its
 * acknowledgement will name before the MDM server (and the device) can see the command.
 */
public interface MdmChannel {

  /** A command ready to send, and the UUID the device's acknowledgement will name. */
  record Command(String commandUuid, byte[] plist) {}

  /** False if the gateway sends nothing itself (device gateways read the topic). */
  boolean sendsCommands();

  /**
   * Whether this adapter sends this attempt. One it does not send is left, untouched, to a device
   * gateway that reads the topic (a Windows MDM bridge beside an Apple MDM server, docs/MDM.md).
   */
  default boolean sends(ReleasedActivity released) {
    return sendsCommands();
  }

  /**
   * The command for one released attempt.
   *
   * @throws UndeliverableCommand if this command can never be delivered as it is
   * @throws dev.lineup.service.kafka.Failures.TransientFailure if what it needs (stored content) is
   *     away for now
   */
  Command command(ReleasedActivity released)
      throws UndeliverableCommand,
          dev.lineup.service.kafka.Failures.TransientFailure,
          InterruptedException;

  /**
   * Hands a command to the MDM server for {@code enrollment} (the host id).
   *
   * @throws UndeliverableCommand if the MDM server refused it for good
   * @throws dev.lineup.service.kafka.Failures.TransientFailure if the MDM server could not take it
   *     now (down, unreachable, overloaded)
   */
  void send(String enrollment, Command command) throws Exception;

  /**
   * False while the MDM server is not taking commands (its last push failed transiently): MDM
   * commands wait, and the rest of the gateway serves on.
   */
  default boolean reachable() {
    return true;
  }
}
