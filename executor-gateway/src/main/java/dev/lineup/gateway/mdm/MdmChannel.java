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

  /** Hands one released attempt to the MDM server; returns its command UUID, or null if none. */
  String deliver(ReleasedActivity released) throws Exception;
}
