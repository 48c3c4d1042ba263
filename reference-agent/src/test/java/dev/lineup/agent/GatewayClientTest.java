package dev.lineup.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reference agent's side of a lost answer: a poll whose answer never came is sent again with
 * the same Idempotency-Key, so the gateway can hand back the task it claimed; a poll that got an
 * answer is followed by a new key. Against a gateway stand-in that drops its first answer.
 */
class GatewayClientTest {

  private HttpServer gateway;
  private final List<String> pollKeys = new CopyOnWriteArrayList<>();
  private final AtomicInteger polls = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext(
        "/v1/agent/enroll",
        exchange -> {
          byte[] body = "{\"host_token\":\"host-token\"}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    gateway.createContext(
        "/v1/agent/tasks/next",
        exchange -> {
          pollKeys.add(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
          if (polls.getAndIncrement() < 2) {
            // The gateway dies between claiming and answering: the connection closes unanswered.
            // Twice, since the JDK's client sends a GET again by itself once.
            exchange.close();
            return;
          }
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    gateway.start();
  }

  @AfterEach
  void stop() {
    gateway.stop(0);
  }

  @Test
  void aPollWhoseAnswerWasLostIsSentAgainWithItsKeyAndAnAnsweredOneIsNot() throws Exception {
    GatewayClient client =
        new GatewayClient(URI.create("http://127.0.0.1:" + gateway.getAddress().getPort()));
    client.enroll("host-1", "enroll-secret-0123456789", null);

    assertThatThrownBy(() -> client.next(0)).isInstanceOf(IOException.class);
    assertThat(client.next(0)).isEmpty();
    assertThat(client.next(0)).isEmpty();

    assertThat(pollKeys).hasSize(4).doesNotContainNull();
    assertThat(pollKeys.get(2)).as("the lost poll, sent again").isEqualTo(pollKeys.get(0));
    assertThat(pollKeys.get(3)).as("the poll after an answer").isNotEqualTo(pollKeys.get(2));
  }
}
