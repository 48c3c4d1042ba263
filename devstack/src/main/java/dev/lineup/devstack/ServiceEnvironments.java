package dev.lineup.devstack;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.SettingsCatalogue;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment each service needs to run apart from the devstack, on a given broker and
 * PostgreSQL: what {@code --infra-only} prints, and what the tests that run the packaged services
 * as processes give them. Every variable is a setting of the service's {@code application-*.yml},
 * named by Micronaut's rule ({@link #variable}).
 *
 * @param bootstrapServers the broker
 * @param intakeDatabaseUrl the JDBC URL of intake's database
 * @param gatewayDatabaseUrl the JDBC URL of the gateway's database
 * @param databaseUser the user of both databases
 * @param adminToken the admin bearer token every service accepts
 * @param enrollSecret the secret agents enroll with at the gateway
 */
public record ServiceEnvironments(
    String bootstrapServers,
    String intakeDatabaseUrl,
    String gatewayDatabaseUrl,
    String databaseUser,
    String adminToken,
    String enrollSecret) {

  /**
   * The environments of services on the broker at {@code bootstrapServers} and on {@code database},
   * whose intake and gateway databases are made here if they are missing.
   */
  public static ServiceEnvironments on(
      String bootstrapServers, EmbeddedDatabase database, String adminToken, String enrollSecret)
      throws SQLException {
    database.ensureDatabase(LineupServices.INTAKE_DATABASE);
    database.ensureDatabase(LineupServices.GATEWAY_DATABASE);
    return new ServiceEnvironments(
        bootstrapServers,
        database.jdbcUrl(LineupServices.INTAKE_DATABASE),
        database.jdbcUrl(LineupServices.GATEWAY_DATABASE),
        database.user(),
        adminToken,
        enrollSecret);
  }

  /** {@code lineup.intake.database.url} becomes {@code LINEUP_INTAKE_DATABASE_URL}. */
  public static String variable(String property) {
    return SettingsCatalogue.variable(property);
  }

  /**
   * Intake number {@code instance} (from 0) on {@code port}, reading hosts' live queues for the ops
   * page from the sequencer at {@code sequencerUrl} (any instance: it forwards to the owner).
   */
  public Map<String, String> intake(int instance, int port, String sequencerUrl) {
    Map<String, String> env = common(port);
    env.put(variable("lineup.intake.database.url"), intakeDatabaseUrl);
    env.put(variable("lineup.intake.database.user"), databaseUser);
    env.put(variable("lineup.intake.instance-id"), "intake-" + instance);
    env.put(variable("lineup.intake.sequencer-url"), sequencerUrl);
    return env;
  }

  /**
   * Sequencer number {@code instance} on {@code port}, its state in {@code stateDir}: a stable
   * instance id and state directory per instance, as a StatefulSet's ordinal gives.
   */
  public Map<String, String> sequencer(int instance, int port, Path stateDir) {
    Map<String, String> env = common(port);
    env.put(variable("lineup.sequencer.instance-id"), "sequencer-" + instance);
    env.put(variable("lineup.sequencer.state-dir"), stateDir.toString());
    env.put(variable("lineup.sequencer.advertised-endpoint"), "127.0.0.1:" + port);
    env.put(variable("lineup.sequencer.replication-factor"), "1");
    return env;
  }

  /** Gateway number {@code instance} on {@code port}, fetching content from {@code intakeUrl}. */
  public Map<String, String> gateway(int instance, int port, String intakeUrl) {
    Map<String, String> env = common(port);
    env.put(variable("lineup.gateway.database.url"), gatewayDatabaseUrl);
    env.put(variable("lineup.gateway.database.user"), databaseUser);
    env.put(variable("lineup.gateway.instance-id"), "gateway-" + instance);
    env.put(variable("lineup.gateway.intake-url"), intakeUrl);
    env.put(variable("lineup.enroll-secret"), enrollSecret);
    return env;
  }

  private Map<String, String> common(int port) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(variable("micronaut.server.port"), Integer.toString(port));
    env.put(variable("lineup.kafka.bootstrap-servers"), bootstrapServers);
    env.put(variable("lineup.admin-token"), adminToken);
    return env;
  }
}
