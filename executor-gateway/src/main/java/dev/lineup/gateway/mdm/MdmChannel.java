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
 */
public interface MdmChannel {

  /** False if the gateway sends nothing itself (device gateways read the topic). */
  boolean sendsCommands();

  /**
   * Hands one released attempt to the MDM server; returns its command UUID, or null if none.
   *
   * @throws UndeliverableCommand if this command can never be delivered as it is
   * @throws dev.lineup.service.kafka.Failures.TransientFailure if the MDM server could not take it
   *     now (down, unreachable, overloaded)
   */
  String deliver(ReleasedActivity released) throws Exception;
}
