package dev.lineup.gateway.mdm;

import dev.lineup.avro.ReleasedActivity;
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

/**
 * The {@code nanomdm} adapter: {@code PUT {base}/v1/enqueue/{enrollment-id}} with the raw command,
 * HTTP Basic auth as user {@code nanomdm} with the API key. The enrollment id is the host id.
 * NanoMDM keys commands by their UUID, so sending an attempt again after a crash does not queue it
 * twice on the device.
 */
@Singleton
@Requires(property = "lineup.gateway.mdm.adapter", value = "nanomdm")
public final class NanoMdmChannel implements MdmChannel {

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String base;
  private final String authorization;

  public NanoMdmChannel(
      @Value("${lineup.gateway.mdm.nanomdm.url}") String base,
      @Value("${lineup.gateway.mdm.nanomdm.api-key}") String apiKey) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("nanomdm:" + apiKey).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String deliver(ReleasedActivity released) throws IOException, InterruptedException {
    MdmCommands.Raw command = MdmCommands.of(released.getActivity());
    String enrollment =
        URLEncoder.encode(released.getActivity().getHostId(), StandardCharsets.UTF_8);
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/enqueue/" + enrollment))
                .header("Authorization", authorization)
                .header("Content-Type", "application/xml")
                .timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(command.plist()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() / 100 != 2) {
      throw new IOException(
          "NanoMDM refused the command (" + answer.statusCode() + "): " + answer.body());
    }
    return command.commandUuid();
  }
}
