package dev.lineup.sequencer.http;

import dev.lineup.sequencer.SequencerRuntime;
import dev.lineup.sequencer.SequencerSettings;
import dev.lineup.sequencer.queue.QueueView;
import dev.lineup.sequencer.stream.KeyValueSortedStore;
import dev.lineup.sequencer.stream.SequencerTopology;
import dev.lineup.service.problem.ApiException;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * {@code GET /v1/hosts/{hostId}/queue}: the live queue from the state stores (interactive query).
 * When another instance owns the host's partition, the request is forwarded to it once.
 */
@Controller("/v1/hosts/{hostId}/queue")
public final class QueueController {

  static final String FORWARDED = "X-Lineup-Forwarded";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final SequencerRuntime runtime;
  private final HostInfo self;

  public QueueController(SequencerRuntime runtime, SequencerSettings settings) {
    this.runtime = runtime;
    this.self = HostInfo.buildFromEndpoint(settings.advertisedEndpoint());
  }

  @Get(produces = MediaType.APPLICATION_JSON)
  @ExecuteOn(TaskExecutors.BLOCKING)
  public HttpResponse<?> queue(
      @PathVariable String hostId,
      @QueryValue(defaultValue = "100") int limit,
      HttpRequest<?> request)
      throws Exception {
    KafkaStreams streams = runtime.streams();
    if (!runtime.running()) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE, "Not ready", "the sequencer is still starting");
    }
    KeyQueryMetadata owner =
        streams.queryMetadataForKey(SequencerTopology.QUEUE_STORE, hostId, new StringSerializer());
    if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE, "Not ready", "no instance owns this host right now");
    }
    if (!owner.activeHost().equals(self) && request.getHeaders().get(FORWARDED) == null) {
      return forward(owner.activeHost(), hostId, limit, request);
    }
    QueueView view = new QueueView(KeyValueSortedStore.queried(streams));
    return HttpResponse.ok(
        QueueJson.of(
            view.host(hostId, Math.max(1, Math.min(limit, 10_000)))
                .orElseThrow(() -> ApiException.notFound("host " + hostId))));
  }

  private static HttpResponse<?> forward(
      HostInfo owner, String hostId, int limit, HttpRequest<?> request) throws Exception {
    var forwarded =
        java.net.http.HttpRequest.newBuilder(
                URI.create(
                    "http://"
                        + owner.host()
                        + ":"
                        + owner.port()
                        + "/v1/hosts/"
                        + java.net.URLEncoder.encode(
                            hostId, java.nio.charset.StandardCharsets.UTF_8)
                        + "/queue?limit="
                        + limit))
            .header(FORWARDED, "1")
            .header(HttpHeaders.AUTHORIZATION, request.getHeaders().get(HttpHeaders.AUTHORIZATION))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build();
    var answer = HTTP.send(forwarded, java.net.http.HttpResponse.BodyHandlers.ofString());
    return HttpResponse.status(HttpStatus.valueOf(answer.statusCode()))
        .contentType(
            answer
                .headers()
                .firstValue(HttpHeaders.CONTENT_TYPE)
                .orElse(MediaType.APPLICATION_JSON))
        .body(answer.body());
  }
}
