package dev.lineup.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.lineup.conformance.client.ApiClient;
import dev.lineup.conformance.client.ApiException;
import dev.lineup.conformance.client.api.ActivitiesApi;
import dev.lineup.conformance.client.api.BatchesApi;
import dev.lineup.conformance.client.model.ActivityView;
import dev.lineup.conformance.client.model.BatchRequest;
import dev.lineup.conformance.client.model.BatchRequestItem;
import dev.lineup.conformance.client.model.BatchView;
import dev.lineup.conformance.client.model.EnqueueRequest;
import dev.lineup.conformance.client.model.HostCommandAccepted;
import dev.lineup.conformance.client.model.Page;
import dev.lineup.devstack.LineupServices;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Java client generated from intake's OpenAPI document (openapi-generator, at
 * generate-test-sources, from the document intake's build wrote) works against a running stack:
 * what the document says is enough to enqueue, read, list and cancel without knowing Lineup.
 */
@ExtendWith(LineupInfrastructure.class)
class GeneratedClientTest {

  private static final String ADMIN = "client-admin-token-0123456789";
  private static LineupServices services;
  private static ActivitiesApi activities;
  private static BatchesApi batches;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("client-state"),
                ADMIN,
                "client-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    ApiClient client = new ApiClient();
    client.updateBaseUri(services.intakeUrl().toString());
    client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + ADMIN));
    activities = new ActivitiesApi(client);
    batches = new BatchesApi(client);
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  @Test
  void theGeneratedClientEnqueuesReadsListsAndCancelsAnActivity() throws Exception {
    String host = "client-" + UUID.randomUUID();
    ActivityView running = activities.enqueueActivity(host, script("echo first"), null);
    ActivityView waiting =
        activities.enqueueActivity(host, script("echo second"), "key-" + UUID.randomUUID());

    ActivityView read = activities.getActivity(waiting.getActivityId());
    Page upcoming = activities.listActivities(host, "upcoming", null, 10);
    ActivityView cancelled = activities.cancelActivity(host, waiting.getActivityId());

    assertThat(read.getHostId()).isEqualTo(host);
    assertThat(read.getType()).isEqualTo("script_run");
    assertThat(read.getCreatedAt()).isNotNull();
    assertThat(upcoming.getActivities())
        .extracting(ActivityView::getActivityId)
        .containsExactlyInAnyOrder(running.getActivityId(), waiting.getActivityId());
    assertThat(upcoming.getNextCursor()).isNull();
    assertThat(cancelled.getActivityId()).isEqualTo(waiting.getActivityId());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> activities.getActivity(waiting.getActivityId()).getState(), "CANCELLED"::equals);
  }

  @Test
  void theGeneratedClientCancelsAHostsUpcomingActivitiesAndEnqueuesABatch() throws Exception {
    String host = "client-" + UUID.randomUUID();
    activities.enqueueActivity(host, script("echo one"), null);

    HostCommandAccepted accepted = activities.cancelUpcoming(host, "upcoming");
    BatchView batch =
        batches.enqueueBatch(
            new BatchRequest()
                .activities(
                    List.of(
                        new BatchRequestItem().hostId(host).type("lock").payload(Map.of()),
                        new BatchRequestItem()
                            .hostId(host + "-2")
                            .type("lock")
                            .payload(Map.of()))));

    assertThat(accepted.getHostId()).isEqualTo(host);
    assertThat(accepted.getCommand().getValue()).isEqualTo("cancel_upcoming");
    assertThat(batch.getSize()).isEqualTo(2);
    assertThat(batches.getBatch(batch.getBatchId()).getBatchId()).isEqualTo(batch.getBatchId());
  }

  @Test
  void anErrorReachesTheGeneratedClientAsItsStatusAndProblem() {
    ApiException error =
        catchThrowableOfType(
            ApiException.class, () -> activities.getActivity(UUID.randomUUID().toString()));

    assertThat(error.getCode()).isEqualTo(404);
    assertThat(error.getResponseHeaders().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(error.getResponseBody()).contains("\"status\":404");
  }

  private static EnqueueRequest script(String script) {
    return new EnqueueRequest().type("script_run").payload(Map.of("script", script));
  }
}
