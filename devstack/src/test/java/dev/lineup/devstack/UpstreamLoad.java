package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * An upstream service under a fault test: enqueues a script for host after host, and resends the
 * same activity id until intake accepts it, as rule 12 lets a caller do. What it had accepted is
 * what the audit then checks ran exactly once.
 */
final class UpstreamLoad implements AutoCloseable {

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final URI intake;
  private final String adminToken;
  private final List<String> hosts;
  private final Set<String> accepted = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean loading = new AtomicBoolean(true);
  private final Thread thread;

  /** Enqueues for {@code hosts} in turn. */
  UpstreamLoad(URI intake, String adminToken, List<String> hosts) {
    this.intake = intake;
    this.adminToken = adminToken;
    this.hosts = List.copyOf(hosts);
    this.thread = new Thread(this::run, "upstream-load");
  }

  UpstreamLoad start() {
    thread.start();
    return this;
  }

  /** {@code prefix0 .. prefix(n-1)}: the host ids the reference agent simulates. */
  static List<String> hosts(String prefix, int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
  }

  /** The activity ids intake accepted so far. */
  Set<String> accepted() {
    return accepted;
  }

  /** Waits until {@code more} activities beyond what is accepted now are accepted. */
  void awaitMore(int more, Duration within, String why) {
    int before = accepted.size();
    await().atMost(within).alias(why).until(() -> accepted.size() >= before + more);
  }

  /** Stops enqueueing; an activity in the middle of being resent is resent until answered. */
  @Override
  public void close() throws InterruptedException {
    loading.set(false);
    thread.join(30_000);
  }

  private void run() {
    int n = 0;
    while (loading.get()) {
      String id = UUID.randomUUID().toString();
      String host = hosts.get(n++ % hosts.size());
      String body =
          "{\"activity_id\":\""
              + id
              + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo "
              + n
              + "\"}}";
      while (true) {
        int status = post(intake.resolve("/v1/hosts/" + host + "/activities"), body);
        if (status == 202) {
          accepted.add(id);
          break;
        }
        // Until a definite answer: an unanswered request may have been taken, and a resend of the
        // same id is a no-op then (rule 12).
        sleep(200);
      }
      sleep(50);
    }
  }

  private int post(URI uri, String body) {
    try {
      return http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(Duration.ofSeconds(15))
                  .header("Authorization", "Bearer " + adminToken)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Every accepted activity ended SUCCEEDED, with one release and one terminal event, and the
   * devices ran as many tasks as were accepted: nothing lost, nothing run twice.
   */
  void assertEachRanExactlyOnce(String bootstrap, LongSupplier tasksTheDevicesRan) {
    assertThat(accepted.size()).as("activities accepted under load").isGreaterThan(50);
    Map<String, EventAudit.Counts> seen = new HashMap<>();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              seen.clear();
              seen.putAll(EventAudit.count(bootstrap, accepted));
              assertThat(seen.values().stream().filter(c -> c.succeeded() == 1).count())
                  .isEqualTo(accepted.size());
            });
    for (String id : accepted) {
      assertThat(seen.get(id).released()).as("releases of " + id).isEqualTo(1);
      assertThat(seen.get(id).terminal()).as("terminal events of " + id).isEqualTo(1);
    }
    assertThat(tasksTheDevicesRan.getAsLong())
        .as("tasks the devices ran")
        .isEqualTo(accepted.size());
  }
}
