package dev.lineup.gateway.delivery;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.gateway.agent.ReportedOutput;
import dev.lineup.gateway.agent.ResultPublisher;
import dev.lineup.gateway.mdm.MdmChannel;
import dev.lineup.gateway.mdm.UndeliverableCommand;
import dev.lineup.schemas.Results;
import jakarta.inject.Singleton;
import java.time.Instant;

/**
 * Hands recorded MDM attempts to the MDM server, when the gateway sends commands itself (the {@code
 * nanomdm} adapter). Each attempt goes at most once, only while it is pending, its lease runs and
 * its activity is not revoked (asked right before the push: a command cancelled while the MDM
 * server was down never reaches the device). Its command UUID is recorded before the push, so an
 * acknowledgement that overtakes the MDM server's answer finds its attempt. A command that can
 * never be delivered ends its attempt FAILED with the reason as output, so the host's queue moves
 * on; the MDM server being down throws, and the consumer retries.
 */
@Singleton
public final class MdmHandOff {

  private final Deliveries deliveries;
  private final MdmChannel mdm;
  private final ResultPublisher results;
  private final ReportedOutput output;

  public MdmHandOff(
      Deliveries deliveries, MdmChannel mdm, ResultPublisher results, ReportedOutput output) {
    this.deliveries = deliveries;
    this.mdm = mdm;
    this.results = results;
    this.output = output;
  }

  public void handOver(ReleasedActivity released) throws Exception {
    var a = released.getActivity();
    if (!mdm.sends(released) || !deliveries.mdmPushable(a.getActivityId(), released.getAttempt())) {
      return;
    }
    MdmChannel.Command command;
    try {
      command = mdm.command(released);
      // The UUID goes on the row before the command leaves: a device online at that moment may
      // acknowledge it before the MDM server has answered the push, and the webhook looks the
      // acknowledgement up by that UUID. The same checks as above, at the last moment.
      if (!deliveries.aboutToPush(
          a.getActivityId(), released.getAttempt(), command.commandUuid())) {
        return;
      }
      mdm.send(a.getHostId(), command);
    } catch (UndeliverableCommand e) {
      String reason = output.keep("not sent to the MDM server: " + e.getMessage());
      // Report first, then close the row: a crash in between sends the report again, which the
      // sequencer records as a repeat.
      results.publish(Results.undeliverable(Results.Attempt.of(released), Instant.now(), reason));
      deliveries.failUndelivered(a.getActivityId(), released.getAttempt(), reason);
      return;
    }
    // False if the device's acknowledgement came in first and ended the attempt already.
    if (deliveries.markMdmDelivered(a.getActivityId(), released.getAttempt())) {
      results.publish(Results.delivered(Results.Attempt.of(released), Instant.now()));
    }
  }
}
