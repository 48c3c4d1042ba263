package dev.lineup.service.kafka;

import dev.lineup.service.health.Readiness;
import dev.lineup.service.metrics.Instrumented;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this service reaches Kafka: every {@link #EVERY} a cluster description asked of any
 * broker, answered within {@link #ANSWER_WITHIN}. While none answers, {@code /health} is down (the
 * service cannot take an enqueue, hand out a release or apply an event) and {@code
 * lineup_kafka_reachable} is 0.
 *
 * <p>Kafka's clients say nothing a caller sees while the brokers are away: a poll answers nothing,
 * a send waits, and their network layer logs every attempt to reconnect, a few lines a second for
 * each client (the services' logging keeps those out). This check says it instead, once: a WARN
 * line when Kafka stops answering, naming why (no answer, or refused credentials), and an INFO line
 * when it answers again, with how long it was away. Everything else resumes by itself.
 *
 * <p>One request to the broker every {@link #EVERY}. The service counts as not reaching Kafka until
 * the first answer.
 */
@Context
@Requires(property = "lineup.kafka.bootstrap-servers")
public final class KafkaReachability implements Readiness, Instrumented, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaReachability.class);

  /** How often the check asks. */
  static final Duration EVERY = Duration.ofSeconds(2);

  /** How long an answer may take before Kafka counts as away. */
  static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);

  private final String where;
  private final Map<String, Object> config;
  private final ScheduledExecutorService checker;
  private final Duration every;
  private final Duration answerWithin;

  /**
   * Made at the first check, and again after one that could not be made: a bootstrap address that
   * does not resolve yet (a cluster's DNS name before its first broker is up) is an outage too, not
   * a service that cannot start.
   */
  private Admin admin;

  private volatile boolean reachable;
  private volatile String detail = "not reached yet";
  private Instant awaySince;
  private boolean checked;

  public KafkaReachability(KafkaConnection connection) {
    this(connection, EVERY, ANSWER_WITHIN);
  }

  KafkaReachability(KafkaConnection connection, Duration every, Duration answerWithin) {
    this.where = connection.toString();
    this.every = every;
    this.answerWithin = answerWithin;
    this.config = connection.clientConfig();
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-reachability-" + UUID.randomUUID());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) answerWithin.toMillis());
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) answerWithin.toMillis());
    this.checker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "kafka-reachability");
              t.setDaemon(true);
              return t;
            });
    checker.scheduleWithFixedDelay(this::check, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  public boolean ready() {
    return reachable;
  }

  /** Never the broker's address or its error's text: {@code /health} is open to anyone. */
  @Override
  public String detail() {
    return reachable ? null : detail;
  }

  /** {@code lineup_kafka_reachable}: 1 while a broker answers, 0 while none does. */
  @Override
  public void instrument(MeterRegistry registry) {
    Gauge.builder("lineup.kafka.reachable", this, r -> r.reachable ? 1 : 0)
        .description("1 while a Kafka broker answers this service, 0 while none does")
        .register(registry);
  }

  private void check() {
    try {
      if (admin == null) {
        admin = Admin.create(config);
      }
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) answerWithin.toMillis()))
          .nodes()
          .get(answerWithin.toMillis() + every.toMillis(), TimeUnit.MILLISECONDS);
      answered();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    } catch (ExecutionException e) {
      away(e.getCause() == null ? e : e.getCause());
    } catch (TimeoutException | RuntimeException e) {
      away(e);
    }
  }

  private void answered() {
    if (awaySince != null) {
      LOG.info(
          "Kafka answers again after {} s; the service's consumers and producers resume by"
              + " themselves",
          Duration.between(awaySince, Instant.now()).toSeconds());
      awaySince = null;
    }
    checked = true;
    reachable = true;
  }

  private void away(Throwable why) {
    boolean refused =
        why instanceof AuthenticationException || why instanceof AuthorizationException;
    detail =
        refused
            ? "Kafka refuses this service's credentials or TLS"
            : "no Kafka broker answered within " + answerWithin.toSeconds() + " s";
    reachable = false;
    if (awaySince == null) {
      awaySince = Instant.now();
      LOG.warn(
          "{}: {} ({}); /health is down until it answers, and the service's Kafka work waits",
          checked ? "Kafka stopped answering" : "Kafka does not answer",
          refused ? "it refuses this service's credentials or TLS settings" : "no broker answered",
          where + ": " + Failures.describe(why, Failures.MAX_REASON));
    }
    checked = true;
  }

  @PreDestroy
  @Override
  public void close() {
    checker.shutdownNow();
    try {
      if (!checker.awaitTermination(answerWithin.toMillis(), TimeUnit.MILLISECONDS)) {
        return; // a check still under way; its daemon thread ends with the JVM
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (admin != null) {
      admin.close(Duration.ZERO);
    }
  }
}
