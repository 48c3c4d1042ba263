package dev.lineup.gateway.mdm;

/**
 * An MDM command that will never reach a device as it is: the adapter cannot build it, its raw
 * command names another CommandUUID than Lineup matches results by, or the MDM server refused it
 * (4xx). Sending it again cannot help, so its attempt ends FAILED with this message as its output
 * and the host's queue moves on; the MDM server being down is a transient failure instead.
 */
public final class UndeliverableCommand extends Exception {

  public UndeliverableCommand(String message) {
    super(message);
  }
}
