package dev.lineup.gateway.mdm;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.gateway.agent.ContentSource;
import dev.lineup.service.health.Readiness;
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
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>It is also the {@code mdm-server} health check, one that is not required: while NanoMDM takes
 * no commands, {@code /health} stays 200 (agents are served; an MDM outage must not take the agent
 * channel out of a load balancer), says {@code degraded} and reports {@code mdm-server: down}. The
 * outage is logged once as a WARN line when it begins and once as an INFO line when it ends,
 * however often the command is retried or health is asked meanwhile.
 */
@Singleton
@Requires(property = "lineup.gateway.mdm.adapter", value = "nanomdm")
public final class NanoMdmChannel implements MdmChannel, Readiness {

  private static final Logger LOG = LoggerFactory.getLogger(NanoMdmChannel.class);

  /** 4xx answers that pass once the server or the gateway's configuration is right again. */
  private static final Set<Integer> PASSING = Set.of(401, 403, 408, 429);

  private static final int MAX_ANSWER_QUOTED = 500;

  private final HttpClient http;
  private final ContentSource contents;
  private final String base;
  private final String authorization;
  private final Duration timeout;

  /** Since when NanoMDM takes no commands; null while it does. */
  private final AtomicReference<Instant> downSince = new AtomicReference<>();

  public NanoMdmChannel(
      ContentSource contents,
      @Value("${lineup.gateway.mdm.nanomdm.url}") String base,
      @Value("${lineup.gateway.mdm.nanomdm.api-key}") String apiKey,
      @Value("${lineup.gateway.mdm.nanomdm.timeout}") Duration timeout) {
    this.contents = contents;
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

  /** Apple's protocol only: an MDM activity for another platform is left to a device gateway. */
  @Override
  public boolean sends(ReleasedActivity released) {
    return MdmCommands.isApple(released.getActivity());
  }

  @Override
  public Command command(ReleasedActivity released)
      throws UndeliverableCommand, Failures.TransientFailure, InterruptedException {
    return MdmCommands.of(released.getActivity(), contents);
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
      throw unreachable("NanoMDM did not answer: " + e, e);
    }
    int status = answer.statusCode();
    if (status / 100 == 2) {
      answering();
      return;
    }
    String said = "NanoMDM answered " + status + ": " + quoted(answer.body());
    if (status / 100 == 4 && !PASSING.contains(status)) {
      // It answered: up, though it will never take this command.
      answering();
      throw new UndeliverableCommand(said);
    }
    throw unreachable(said, null);
  }

  /** The failure to throw, having logged the outage if it begins with it. */
  private Failures.TransientFailure unreachable(String said, Throwable cause) {
    if (downSince.compareAndSet(null, Instant.now())) {
      LOG.warn(
          "the MDM server takes no commands; MDM commands wait and are retried with backoff,"
              + " agents are still served, /health stays 200 and reports mdm-server down: {}",
          said);
    }
    return new Failures.TransientFailure(said, cause, true);
  }

  private void answering() {
    Instant since = downSince.getAndSet(null);
    if (since != null) {
      LOG.info(
          "the MDM server takes commands again, after {} s",
          Duration.between(since, Instant.now()).toSeconds());
    }
  }

  @Override
  public boolean reachable() {
    return downSince.get() == null;
  }

  @Override
  public String name() {
    return "mdm-server";
  }

  @Override
  public boolean ready() {
    return reachable();
  }

  @Override
  public boolean required() {
    return false;
  }

  @Override
  public String detail() {
    Instant since = downSince.get();
    return since == null
        ? null
        : "takes no commands since "
            + since
            + "; MDM commands wait and are retried, agents are served";
  }

  private static String quoted(String body) {
    String text = body == null ? "" : body.strip();
    return text.length() <= MAX_ANSWER_QUOTED ? text : text.substring(0, MAX_ANSWER_QUOTED) + "...";
  }
}
