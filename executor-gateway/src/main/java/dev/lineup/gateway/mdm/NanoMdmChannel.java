package dev.lineup.gateway.mdm;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.service.kafka.Failures;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;

/**
 * The {@code nanomdm} adapter: {@code PUT {base}/v1/enqueue/{enrollment-id}} with the raw command,
 * HTTP Basic auth as user {@code nanomdm} with the API key. The enrollment id is the host id.
 * NanoMDM keys commands by their UUID, so sending an attempt again after a crash does not queue it
 * twice on the device.
 *
 * <p>Failures sort as rule 14 asks. A command this adapter cannot build, or one NanoMDM refuses
 * (4xx), is {@link UndeliverableCommand}: sending it again cannot help. NanoMDM down, unreachable
 * or answering 5xx is a {@link Failures.TransientFailure}: the command waits and nothing is
 * skipped. So are 401 and 403 (the gateway's API key is wrong: configuration, not the command, and
 * failing every MDM command of the fleet for it would be worse than waiting for the fix), 408 and
 * 429.
 */
@Singleton
@Requires(property = "lineup.gateway.mdm.adapter", value = "nanomdm")
public final class NanoMdmChannel implements MdmChannel {

  /** 4xx answers that pass once the server or the gateway's configuration is right again. */
  private static final Set<Integer> PASSING = Set.of(401, 403, 408, 429);

  private static final int MAX_ANSWER_QUOTED = 500;

  private final HttpClient http;
  private final String base;
  private final String authorization;
  private final Duration timeout;

  public NanoMdmChannel(
      @Value("${lineup.gateway.mdm.nanomdm.url}") String base,
      @Value("${lineup.gateway.mdm.nanomdm.api-key}") String apiKey,
      @Value("${lineup.gateway.mdm.nanomdm.timeout}") Duration timeout) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("nanomdm:" + apiKey).getBytes(StandardCharsets.UTF_8));
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .build();
  }

  @Override
  public boolean sendsCommands() {
    return true;
  }

  @Override
  public Command command(ReleasedActivity released) throws UndeliverableCommand {
    return MdmCommands.of(released.getActivity());
  }

  @Override
  public void send(String enrollmentId, Command command)
      throws UndeliverableCommand, Failures.TransientFailure, InterruptedException {
    String enrollment = URLEncoder.encode(enrollmentId, StandardCharsets.UTF_8);
    HttpResponse<String> answer;
    try {
      answer =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/enqueue/" + enrollment))
                  .header("Authorization", authorization)
                  .header("Content-Type", "application/xml")
                  .timeout(timeout)
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(command.plist()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Failures.TransientFailure("NanoMDM did not answer: " + e, e);
    }
    int status = answer.statusCode();
    if (status / 100 == 2) {
      return;
    }
    String said = "NanoMDM answered " + status + ": " + quoted(answer.body());
    if (status / 100 == 4 && !PASSING.contains(status)) {
      throw new UndeliverableCommand(said);
    }
    throw new Failures.TransientFailure(said, null);
  }

  private static String quoted(String body) {
    String text = body == null ? "" : body.strip();
    return text.length() <= MAX_ANSWER_QUOTED ? text : text.substring(0, MAX_ANSWER_QUOTED) + "...";
  }
}
