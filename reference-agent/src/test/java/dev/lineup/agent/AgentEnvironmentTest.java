package dev.lineup.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as its container image runs it: no arguments, every setting from the environment
 * (gateway, host id, enroll secret, token directory).
 */
class AgentEnvironmentTest {

  @TempDir Path tokens;

  @Test
  @Timeout(60)
  void takesItsSettingsFromTheEnvironment() throws Exception {
    List<String> enrolled = new CopyOnWriteArrayList<>();
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext(
        "/v1/agent/enroll",
        exchange -> {
          enrolled.add(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          byte[] body = "{\"host_token\":\"host-token\"}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    gateway.createContext(
        "/v1/agent/tasks/next",
        exchange -> {
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    gateway.start();
    String url = "http://127.0.0.1:" + gateway.getAddress().getPort();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Agent.class.getName())
            .redirectErrorStream(true);
    builder.environment().put("LINEUP_GATEWAY_URL", url);
    builder.environment().put("LINEUP_HOST_ID", "env-host-7");
    builder.environment().put("LINEUP_ENROLL_SECRET", "enroll-secret-0123456789");
    builder.environment().put("LINEUP_TOKEN_DIR", tokens.toString());
    Process agent = builder.start();
    try (var out =
        new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      assertThat(first).startsWith("agent for env-host-7 polling " + url);
      assertThat(enrolled).singleElement().asString().contains("env-host-7");
      try (var kept = Files.list(tokens)) {
        assertThat(kept).as("its host token, kept where the environment said").isNotEmpty();
      }
    } finally {
      agent.destroyForcibly().waitFor();
      gateway.stop(0);
    }
  }
}
