package dev.lineup.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The queue as Fleet builds it (its datastore's {@code activateNextUpcomingActivity}), in
 * PostgreSQL: an {@code upcoming_activities} row per activity with a per-type row beside it ({@code
 * script_upcoming_activities}, {@code software_install_upcoming_activities}); activating one copies
 * it into its per-type results table ({@code host_script_results}, {@code host_software_installs})
 * and stamps {@code activated_at}, in the same transaction as the enqueue or the result that let it
 * go; a result updates that results row, writes an activity-feed row ({@code activities} and {@code
 * host_activities}), deletes the finished upcoming row and activates the next. Fleet's indexes, its
 * ordering (activated first, priority desc, created_at) and its look-ahead of five rows.
 *
 * <p>Where it differs, and why: PostgreSQL instead of MySQL (the bench's database); the next-row
 * select locks its rows ({@code FOR UPDATE}), which Fleet's MySQL select does not, since under
 * PostgreSQL's read committed two transactions of one host could otherwise both activate; every
 * activity is a script or an install (MDM commands are scripts here: Fleet queues only VPP installs
 * through this table); and a partial index on each results table's unfinished rows, because the
 * bench's simulated devices poll across their hosts at once where Fleet's agents each read their
 * own host's rows by its index.
 */
final class FleetStyleSqlQueue implements SqlQueue {

  private static final String SCRIPT = "script";
  private static final String INSTALL = "software_install";

  @Override
  public String name() {
    return "fleet-style-sql";
  }

  @Override
  public void create(Connection c) throws SQLException {
    try (var s = c.createStatement()) {
      for (String table :
          List.of(
              "host_activities",
              "activities",
              "host_software_installs",
              "host_script_results",
              "software_install_upcoming_activities",
              "script_upcoming_activities",
              "upcoming_activities")) {
        s.execute("DROP TABLE IF EXISTS " + table + " CASCADE");
      }
      s.execute(
          """
          CREATE TABLE upcoming_activities (
              id bigserial PRIMARY KEY,
              host_id integer NOT NULL,
              priority integer NOT NULL DEFAULT 0,
              user_id integer,
              fleet_initiated boolean NOT NULL DEFAULT false,
              activity_type text NOT NULL,
              execution_id text NOT NULL,
              payload jsonb NOT NULL,
              activated_at timestamptz,
              created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              CONSTRAINT idx_upcoming_activities_execution_id UNIQUE (execution_id))""");
      s.execute(
          "CREATE INDEX idx_upcoming_activities_host_id_priority_created_at"
              + " ON upcoming_activities (host_id, priority, created_at)");
      s.execute(
          "CREATE INDEX idx_upcoming_activities_host_id_activity_type"
              + " ON upcoming_activities (activity_type, host_id)");
      s.execute(
          """
          CREATE TABLE script_upcoming_activities (
              upcoming_activity_id bigint PRIMARY KEY
                  REFERENCES upcoming_activities (id) ON DELETE CASCADE,
              script_id integer,
              script_content_id integer,
              policy_id integer,
              setup_experience_script_id integer,
              created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              updated_at timestamptz NOT NULL DEFAULT clock_timestamp())""");
      s.execute(
          """
          CREATE TABLE software_install_upcoming_activities (
              upcoming_activity_id bigint PRIMARY KEY
                  REFERENCES upcoming_activities (id) ON DELETE CASCADE,
              software_installer_id integer,
              policy_id integer,
              software_title_id integer,
              created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              updated_at timestamptz NOT NULL DEFAULT clock_timestamp())""");
      s.execute(
          """
          CREATE TABLE host_script_results (
              id bigserial PRIMARY KEY,
              host_id integer NOT NULL,
              execution_id text NOT NULL UNIQUE,
              output text NOT NULL,
              runtime integer NOT NULL DEFAULT 0,
              exit_code integer,
              timeout integer,
              created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              user_id integer,
              sync_request boolean NOT NULL DEFAULT false,
              script_id integer,
              policy_id integer,
              setup_experience_script_id integer,
              script_content_id integer,
              is_internal boolean NOT NULL DEFAULT false,
              canceled boolean NOT NULL DEFAULT false)""");
      s.execute(
          "CREATE INDEX idx_hsr_host_id_script_id ON host_script_results (host_id, script_id)");
      s.execute(
          "CREATE INDEX idx_host_script_created_at"
              + " ON host_script_results (host_id, script_id, created_at)");
      s.execute(
          "CREATE INDEX bench_hsr_pending ON host_script_results (host_id) WHERE exit_code IS NULL");
      s.execute(
          """
          CREATE TABLE host_software_installs (
              id bigserial PRIMARY KEY,
              execution_id text NOT NULL UNIQUE,
              host_id integer NOT NULL,
              software_installer_id integer,
              pre_install_query_output text,
              install_script_output text,
              install_script_exit_code integer,
              post_install_script_output text,
              post_install_script_exit_code integer,
              user_id integer,
              self_service boolean NOT NULL DEFAULT false,
              policy_id integer,
              installer_filename text,
              version text,
              software_title_id integer,
              software_title_name text,
              status text GENERATED ALWAYS AS (CASE
                  WHEN install_script_exit_code IS NULL THEN 'pending_install'
                  WHEN install_script_exit_code = 0 THEN 'installed'
                  ELSE 'failed_install' END) STORED,
              removed boolean NOT NULL DEFAULT false,
              canceled boolean NOT NULL DEFAULT false,
              uninstall boolean NOT NULL DEFAULT false,
              created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              updated_at timestamptz NOT NULL DEFAULT clock_timestamp())""");
      s.execute(
          "CREATE INDEX idx_host_software_installs_host_installer"
              + " ON host_software_installs (host_id, software_installer_id)");
      s.execute(
          "CREATE INDEX bench_hsi_pending ON host_software_installs (host_id)"
              + " WHERE install_script_exit_code IS NULL");
      s.execute(
          """
          CREATE TABLE activities (
              id bigserial PRIMARY KEY,
              created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
              user_id integer,
              user_name text,
              user_email text,
              activity_type text NOT NULL,
              details jsonb,
              streamed boolean NOT NULL DEFAULT false,
              fleet_initiated boolean NOT NULL DEFAULT false,
              host_only boolean NOT NULL DEFAULT false)""");
      s.execute("CREATE INDEX activities_streamed_idx ON activities (streamed)");
      s.execute("CREATE INDEX activities_created_at_idx ON activities (created_at)");
      s.execute(
          """
          CREATE TABLE host_activities (
              host_id integer NOT NULL,
              activity_id bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
              PRIMARY KEY (host_id, activity_id))""");
      s.execute("CREATE INDEX fk_host_activities_activity_id ON host_activities (activity_id)");
    }
  }

  /** The host's {@code k}-th activity's type: every fifth an install, as in Lineup's workload. */
  private static String type(int k) {
    return k % 5 == 4 ? INSTALL : SCRIPT;
  }

  @Override
  public void enqueue(Connection c, int host, String id, int k, int priority) throws SQLException {
    String type = type(k);
    long upcoming;
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO upcoming_activities (host_id, priority, user_id, activity_type,"
                + " execution_id, payload) VALUES (?, ?, 1, ?, ?, ?::jsonb) RETURNING id")) {
      s.setInt(1, host);
      s.setInt(2, priority);
      s.setString(3, type);
      s.setString(4, id);
      s.setString(
          5,
          type.equals(SCRIPT)
              ? "{\"sync_request\": false, \"is_internal\": false, \"user\": {\"id\": 1}}"
              : "{\"self_service\": false, \"installer_filename\": \"app.pkg\","
                  + " \"version\": \"1.0\", \"software_title_name\": \"App\"}");
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        upcoming = rs.getLong(1);
      }
    }
    try (PreparedStatement s =
        c.prepareStatement(
            type.equals(SCRIPT)
                ? "INSERT INTO script_upcoming_activities (upcoming_activity_id, script_id,"
                    + " script_content_id) VALUES (?, 7, 7)"
                : "INSERT INTO software_install_upcoming_activities (upcoming_activity_id,"
                    + " software_installer_id, software_title_id) VALUES (?, 3, 3)")) {
      s.setLong(1, upcoming);
      s.executeUpdate();
    }
    activateNext(c, host, null);
  }

  @Override
  public void complete(Connection c, int host, String id, String kind) throws SQLException {
    boolean script = SCRIPT.equals(kind);
    try (PreparedStatement s =
        c.prepareStatement(
            script
                ? "UPDATE host_script_results SET output = 'ok', runtime = 0, exit_code = 0,"
                    + " updated_at = clock_timestamp() WHERE host_id = ? AND execution_id = ?"
                : "UPDATE host_software_installs SET install_script_output = 'ok',"
                    + " install_script_exit_code = 0, updated_at = clock_timestamp()"
                    + " WHERE host_id = ? AND execution_id = ?")) {
      s.setInt(1, host);
      s.setString(2, id);
      s.executeUpdate();
    }
    long activity;
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO activities (user_id, user_name, activity_type, details, host_only)"
                + " VALUES (1, 'admin', ?, ?::jsonb, true) RETURNING id")) {
      s.setString(1, script ? "ran_script" : "installed_software");
      s.setString(
          2,
          "{\"host_id\": "
              + host
              + ", \"host_display_name\": \"host-"
              + host
              + "\", \""
              + (script ? "script_execution_id" : "install_uuid")
              + "\": \""
              + id
              + "\", \"status\": \""
              + (script ? "ran" : "installed")
              + "\"}");
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        activity = rs.getLong(1);
      }
    }
    try (PreparedStatement s =
        c.prepareStatement("INSERT INTO host_activities (host_id, activity_id) VALUES (?, ?)")) {
      s.setInt(1, host);
      s.setLong(2, activity);
      s.executeUpdate();
    }
    activateNext(c, host, id);
  }

  private static void activateNext(Connection c, int host, String completed) throws SQLException {
    if (completed != null) {
      try (PreparedStatement s =
          c.prepareStatement(
              "DELETE FROM upcoming_activities WHERE host_id = ? AND activated_at IS NOT NULL"
                  + " AND execution_id = ?")) {
        s.setInt(1, host);
        s.setString(2, completed);
        s.executeUpdate();
      }
    }
    String next = null;
    String type = null;
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT execution_id, activity_type, activated_at FROM upcoming_activities"
                + " WHERE host_id = ?"
                + " ORDER BY (activated_at IS NOT NULL) DESC, priority DESC, created_at ASC"
                + " LIMIT 5 FOR UPDATE")) {
      s.setInt(1, host);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next() && rs.getTimestamp(3) == null) {
          next = rs.getString(1);
          type = rs.getString(2);
        }
      }
    }
    if (next == null) {
      return;
    }
    try (PreparedStatement s =
        c.prepareStatement(
            SCRIPT.equals(type)
                ? """
                  INSERT INTO host_script_results (host_id, execution_id, script_content_id,
                      output, script_id, policy_id, user_id, sync_request,
                      setup_experience_script_id, is_internal)
                  SELECT ua.host_id, ua.execution_id, sua.script_content_id, '', sua.script_id,
                      sua.policy_id, ua.user_id,
                      COALESCE((ua.payload->>'sync_request')::boolean, false),
                      sua.setup_experience_script_id,
                      COALESCE((ua.payload->>'is_internal')::boolean, false)
                  FROM upcoming_activities ua
                  JOIN script_upcoming_activities sua ON sua.upcoming_activity_id = ua.id
                  WHERE ua.host_id = ? AND ua.execution_id = ?"""
                : """
                  INSERT INTO host_software_installs (execution_id, host_id,
                      software_installer_id, user_id, self_service, policy_id,
                      installer_filename, version, software_title_id, software_title_name)
                  SELECT ua.execution_id, ua.host_id, siua.software_installer_id, ua.user_id,
                      COALESCE((ua.payload->>'self_service')::boolean, false), siua.policy_id,
                      COALESCE(ua.payload->>'installer_filename', '[deleted installer]'),
                      COALESCE(ua.payload->>'version', 'unknown'), siua.software_title_id,
                      COALESCE(ua.payload->>'software_title_name', '[deleted title]')
                  FROM upcoming_activities ua
                  JOIN software_install_upcoming_activities siua
                      ON siua.upcoming_activity_id = ua.id
                  WHERE ua.host_id = ? AND ua.execution_id = ?""")) {
      s.setInt(1, host);
      s.setString(2, next);
      s.executeUpdate();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "UPDATE upcoming_activities SET activated_at = clock_timestamp()"
                + " WHERE host_id = ? AND execution_id = ?")) {
      s.setInt(1, host);
      s.setString(2, next);
      s.executeUpdate();
    }
  }

  @Override
  public List<String[]> activated(Connection c, int workers, int worker) throws SQLException {
    List<String[]> rows = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT execution_id, host_id, 'script' FROM host_script_results"
                + " WHERE exit_code IS NULL AND mod(host_id, ?) = ?"
                + " UNION ALL SELECT execution_id, host_id, 'software_install'"
                + " FROM host_software_installs"
                + " WHERE install_script_exit_code IS NULL AND mod(host_id, ?) = ?")) {
      s.setInt(1, workers);
      s.setInt(2, worker);
      s.setInt(3, workers);
      s.setInt(4, worker);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rows.add(new String[] {rs.getString(1), Integer.toString(rs.getInt(2)), rs.getString(3)});
        }
      }
    }
    return rows;
  }
}
