package dev.lineup.devstack;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.gateway.GatewayApplication;
import dev.lineup.intake.IntakeApplication;
import dev.lineup.sequencer.SequencerApplication;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The three Lineup services in this JVM, each in its own Micronaut context and environment (so each
 * sees only its own beans), against a given broker and PostgreSQL. Started sequencer first, stopped
 * gateway first, so nothing talks to a service that is gone.
 */
public final class LineupServices implements AutoCloseable {

  /** Ports 0 pick free ones. */
  public record Settings(
      String bootstrapServers,
      EmbeddedDatabase database,
      Path stateDir,
      String adminToken,
      String enrollSecret,
      int intakePort,
      int gatewayPort,
      int sequencerPort,
      Map<String, Object> extraProperties) {}

  public static final String INTAKE_DATABASE = "lineup_intake";
  public static final String GATEWAY_DATABASE = "lineup_gateway";

  private final List<ApplicationContext> contexts = new ArrayList<>();
  private final Settings settings;
  private final String secretsKey;
  private final ApplicationContext sequencer;
  private final ApplicationContext intake;
  private ApplicationContext gateway;

  private LineupServices(Settings settings) throws Exception {
    this.settings = settings;
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    this.secretsKey = java.util.Base64.getEncoder().encodeToString(key);
    settings.database().ensureDatabase(INTAKE_DATABASE);
    settings.database().ensureDatabase(GATEWAY_DATABASE);
    int sequencerPort = dev.lineup.embedded.FreePorts.orFree(settings.sequencerPort());
    try {
      sequencer =
          start(
              SequencerApplication.ENVIRONMENT,
              settings,
              sequencerPort,
              Map.of(
                  "lineup.sequencer.state-dir",
                  settings.stateDir().resolve("sequencer").toString(),
                  "lineup.sequencer.advertised-endpoint",
                  "127.0.0.1:" + sequencerPort,
                  "lineup.sequencer.replication-factor",
                  1));
      intake =
          start(
              IntakeApplication.ENVIRONMENT,
              settings,
              settings.intakePort(),
              Map.of(
                  "lineup.intake.database.url", settings.database().jdbcUrl(INTAKE_DATABASE),
                  "lineup.intake.database.user", settings.database().user(),
                  "lineup.intake.sequencer-url", sequencerUrl().toString()));
      gateway = startGateway();
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  private ApplicationContext startGateway() {
    return start(
        GatewayApplication.ENVIRONMENT,
        settings,
        settings.gatewayPort(),
        Map.of(
            "lineup.gateway.database.url", settings.database().jdbcUrl(GATEWAY_DATABASE),
            "lineup.gateway.database.user", settings.database().user(),
            "lineup.enroll-secret", settings.enrollSecret(),
            "lineup.gateway.intake-url", intakeUrl().toString()));
  }

  /** Stops the gateway as a crash would leave things: whatever it had not finished stays undone. */
  public void stopGateway() {
    gateway.getBean(EmbeddedServer.class).stop();
    gateway.stop();
    contexts.remove(gateway);
  }

  /** Starts one more gateway instance beside the first, on a free port (closed with the rest). */
  public ApplicationContext startAnotherGateway() {
    ApplicationContext another =
        start(
            GatewayApplication.ENVIRONMENT,
            settings,
            0,
            Map.of(
                "lineup.gateway.database.url", settings.database().jdbcUrl(GATEWAY_DATABASE),
                "lineup.gateway.database.user", settings.database().user(),
                "lineup.enroll-secret", settings.enrollSecret(),
                "lineup.gateway.intake-url", intakeUrl().toString()));
    return another;
  }

  /** Starts a new gateway instance (on a new port if the port was 0). */
  public void restartGateway() {
    gateway = startGateway();
  }

  public static LineupServices start(Settings settings) throws Exception {
    return new LineupServices(settings);
  }

  private ApplicationContext start(
      String environment, Settings settings, int port, Map<String, Object> own) {
    Map<String, Object> properties = new HashMap<>();
    properties.put("micronaut.server.port", port);
    properties.put("micronaut.server.host", "127.0.0.1");
    properties.put("lineup.kafka.bootstrap-servers", settings.bootstrapServers());
    properties.put("lineup.admin-token", settings.adminToken());
    // One secrets key for the services of one stack (tests get a fresh one per stack).
    properties.put("lineup.secrets-key", secretsKey);
    properties.putAll(own);
    properties.putAll(settings.extraProperties());
    // A plain context, not Micronaut.start(): that registers a shutdown hook of its own which
    // races (and deadlocks with) the devstack's, and the devstack must own the stopping order.
    ApplicationContext context =
        ApplicationContext.builder()
            .environments(environment)
            .deduceEnvironment(false)
            .banner(false)
            .properties(properties)
            .start();
    contexts.add(context);
    context.getBean(EmbeddedServer.class).start();
    return context;
  }

  public URI intakeUrl() {
    return url(intake);
  }

  public URI gatewayUrl() {
    return url(gateway);
  }

  public URI sequencerUrl() {
    return url(sequencer);
  }

  public ApplicationContext intake() {
    return intake;
  }

  public ApplicationContext gateway() {
    return gateway;
  }

  public ApplicationContext sequencer() {
    return sequencer;
  }

  private static URI url(ApplicationContext context) {
    return context.getBean(EmbeddedServer.class).getURI();
  }

  /** Waits until every service answers {@code GET /health} with 200. */
  public void awaitHealthy(Duration timeout) throws InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plus(timeout);
    for (URI base : List.of(sequencerUrl(), intakeUrl(), gatewayUrl())) {
      while (true) {
        try {
          var answer =
              http.send(
                  HttpRequest.newBuilder(base.resolve("/health"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (answer.statusCode() == 200) {
            break;
          }
        } catch (java.io.IOException e) {
          // not listening yet
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(base + " did not become healthy within " + timeout);
        }
        Thread.sleep(200);
      }
    }
  }

  @Override
  public void close() {
    for (int i = contexts.size() - 1; i >= 0; i--) {
      ApplicationContext context = contexts.get(i);
      if (context.isRunning()) {
        context
            .findBean(EmbeddedServer.class)
            .filter(EmbeddedServer::isRunning)
            .ifPresent(EmbeddedServer::stop);
        if (context.isRunning()) {
          context.stop();
        }
      }
    }
    contexts.clear();
  }
}
