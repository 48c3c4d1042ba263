package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A request path spelled another way (doubled slashes, another case, dot segments, percent-encoded
 * letters, dots and slashes) is never a way around auth, on intake or on the gateway. The paths are
 * sent as raw bytes, since HTTP clients normalise some of them away.
 */
@ExtendWith(LineupInfrastructure.class)
class AuthPathTest {

  private static final String ADMIN = "paths-admin-token-0123456789";
  private static final String ENROLL = "paths-enroll-secret-0123456789";
  private static LineupServices services;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("paths-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  /** One answer to a raw request: its status and body. */
  record Raw(int status, String body) {}

  /** Sends {@code method path} exactly as written, with no token. */
  private static Raw send(URI base, String method, String path) throws IOException {
    return send(base, method, path, null, "");
  }

  /** Sends {@code method path} exactly as written, with the token (if any) and a JSON body. */
  private static Raw send(URI base, String method, String path, String token, String json)
      throws IOException {
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      out.write(
          (method
                  + " "
                  + path
                  + " HTTP/1.1\r\nHost: "
                  + base.getHost()
                  + (token == null ? "" : "\r\nAuthorization: Bearer " + token)
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(answer.substring(9, 12));
      int bodyAt = answer.indexOf("\r\n\r\n");
      return new Raw(status, bodyAt < 0 ? "" : answer.substring(bodyAt + 4));
    }
  }

  /** The same path in the spellings a filter comparing strings could miss. */
  private static List<String> spellingsOf(String path) {
    String rest = path.substring("/v1/".length());
    return List.of(
        path,
        "/" + path,
        "//v1//" + rest,
        "/V1/" + rest,
        "/v1/../v1/" + rest,
        "/v1/./" + rest,
        "/health/../v1/" + rest,
        "/x/../v1/" + rest,
        "/%76%31/" + rest,
        "/%2Fv1/" + rest,
        "/v1%2F" + rest,
        "/v1/%2e%2e/v1/" + rest,
        "/v1/%2E/" + rest,
        "/health/%2e%2e/v1/" + rest,
        "/v1;x=1/" + rest,
        "/v1\\" + rest,
        "http://127.0.0.1/v1/" + rest,
        "http://127.0.0.1//v1/" + rest);
  }

  @Test
  void noSpellingOfAnIntakePathAnswersWithoutAToken() throws Exception {
    for (String path : spellingsOf("/v1/summary")) {
      Raw answer = send(services.intakeUrl(), "GET", path);

      assertThat(answer.status()).as("GET %s", path).isIn(400, 401, 404);
    }
  }

  @Test
  void anOperatorTokenCannotReachAnAdminPathByEncodingIt() throws Exception {
    var admin =
        new LineupClient(
            services.intakeUrl(),
            ADMIN,
            services.intake().getBean(io.micronaut.json.JsonMapper.class));
    String name = "paths-operator-" + java.util.UUID.randomUUID();
    String operator =
        admin.post("/v1/tokens", "{\"name\":\"" + name + "\",\"role\":\"operator\"}").text("token");
    String newToken = "{\"name\":\"" + name + "-x\",\"role\":\"admin\"}";

    for (String path :
        List.of("/v1/%74okens", "/v1/%74%6f%6b%65%6e%73", "/v1/./tokens", "/v1/x/../tokens")) {
      Raw answer = send(services.intakeUrl(), "POST", path, operator, newToken);

      assertThat(answer.status()).as("POST %s", path).isIn(400, 403, 404);
    }
    for (String path :
        List.of("/v1/hosts/a%2Fb", "/v1/hosts/a%2F", "/v1/hosts/a%2f..%2fb", "/v1/hosts/a/.")) {
      Raw answer = send(services.intakeUrl(), "DELETE", path, operator, "");

      assertThat(answer.status()).as("DELETE %s", path).isIn(400, 403, 404);
    }
  }

  @Test
  void noSpellingOfTheGatewaysAdminPathResetsAnEnrollmentWithoutAToken() throws Exception {
    var gateway =
        new LineupClient(
            services.gatewayUrl(),
            null,
            services.gateway().getBean(io.micronaut.json.JsonMapper.class));
    String host = "paths-host-" + java.util.UUID.randomUUID();
    String hostToken =
        gateway
            .post(
                "/v1/agent/enroll",
                "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}")
            .text("host_token");
    String path = "/v1/agent/hosts/" + host + "/enrollment";
    List<String> spellings = new java.util.ArrayList<>(spellingsOf(path));
    spellings.addAll(
        List.of(
            "/v1/agent/./hosts/" + host + "/enrollment",
            "/v1/agent//hosts/" + host + "/enrollment",
            "/v1/mdm/../agent/hosts/" + host + "/enrollment",
            "/v1/agent/%2e/hosts/" + host + "/enrollment",
            "/v1/agent/hosts/" + host + "/ENROLLMENT"));

    for (String spelling : spellings) {
      Raw answer = send(services.gatewayUrl(), "DELETE", spelling);

      assertThat(answer.status()).as("DELETE %s", spelling).isIn(400, 401, 404, 405);
    }
    // The host still holds its enrollment: its token works and nobody else can enroll it.
    assertThat(gateway.as(hostToken).get("/v1/agent/tasks/next?wait=0").status()).isEqualTo(204);
  }
}
