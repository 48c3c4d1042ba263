package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import io.micronaut.json.JsonMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rules 14-17 hunted as a class, not as instances: generated bad input at every door of the real
 * stack (intake's HTTP API and batches, {@code lineup.requests}, {@code lineup.commands}, {@code
 * lineup.results}, the agent API and the MDM webhook). The invariant after each round: every bad
 * input got a clear 4xx (problem+json, naming the field where one is to blame) or a dead letter
 * with its reason; no service answered 5xx or went unhealthy; and a control host's script and
 * installer still run to SUCCEEDED through the real gateway.
 *
 * <p>Generated with jqwik's generators (sampled, not shrunk: each failure message carries the input
 * that caused it). The seed is printed, and {@code -Dlineup.fuzz.seed=...} replays a run.
 */
@ExtendWith(LineupInfrastructure.class)
class BadInputFuzzTest {

  private static final String ADMIN = "fuzz-admin-token-0123456789";
  private static final String ENROLL = "fuzz-enroll-secret-0123456789";
  private static final String WEBHOOK = "fuzz-webhook-secret-0123456789";
  private static final int ROUNDS = 10;
  private static final long SEED = Long.getLong("lineup.fuzz.seed", System.nanoTime());

  private static LineupServices services;
  private static JsonMapper json;
  private static String bootstrap;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final java.util.Random RANDOM = new java.util.Random(SEED);
  private static int inputs;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    bootstrap = kafka.bootstrapServers();
    services =
        LineupServices.start(
            new LineupServices.Settings(
                bootstrap,
                database,
                Files.createTempDirectory("fuzz-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of(
                    "lineup.rate-limit.per-second", "100000",
                    "lineup.rate-limit.burst", "100000",
                    "lineup.gateway.mdm.webhook-secret", WEBHOOK)));
    services.awaitHealthy(Duration.ofMinutes(2));
    json = services.intake().getBean(JsonMapper.class);
    System.out.println("BadInputFuzzTest seed: -Dlineup.fuzz.seed=" + SEED);
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
    System.out.println("BadInputFuzzTest: " + inputs + " generated bad inputs");
  }

  private static <T> T sample(Arbitrary<T> arbitrary) {
    return arbitrary.generator(1000).next(RANDOM).value();
  }

  // ------------------------------------------------------------------ the run

  @Test
  void noBadInputAtAnyDoorStopsLineupOrGoesUnanswered() throws Exception {
    String controlPrefix = "fuzz-control-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    // jqwik's generators, outside a jqwik property (this test needs the JUnit extension's stack).
    net.jqwik.api.sessions.JqwikSession.start();
    try (var control =
        dev.lineup.agent.Agent.simulate(
            services.gatewayUrl(), ENROLL, 1, controlPrefix, Duration.ZERO)) {
      for (int round = 0; round < ROUNDS; round++) {
        List<Long> requestOffsets = new ArrayList<>();
        List<Long> commandOffsets = new ArrayList<>();
        List<Long> resultOffsets = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          badEnqueue();
        }
        for (int i = 0; i < 8; i++) {
          badBatch();
        }
        for (int i = 0; i < 12; i++) {
          badSchedule();
        }
        for (int i = 0; i < 8; i++) {
          badWorkflow();
        }
        for (int i = 0; i < 6; i++) {
          badSecret();
        }
        for (int i = 0; i < 15; i++) {
          badRequestRecord(requestOffsets);
        }
        for (int i = 0; i < 8; i++) {
          corrupt(Topics.COMMANDS, commandOffsets);
        }
        for (int i = 0; i < 8; i++) {
          corrupt(Topics.RESULTS, resultOffsets);
        }
        for (int i = 0; i < 4; i++) {
          oversizedResultRecord();
        }
        for (int i = 0; i < 10; i++) {
          badWebhook();
        }
        badAgentReports();

        awaitDeadLetters(Topics.REQUESTS_DLQ, Topics.REQUESTS, requestOffsets);
        awaitDeadLetters(Topics.SEQUENCER_DLQ, Topics.COMMANDS, commandOffsets);
        awaitDeadLetters(Topics.SEQUENCER_DLQ, Topics.RESULTS, resultOffsets);
        controlHostStillRuns(controlPrefix + "0", round);
      }
    } finally {
      net.jqwik.api.sessions.JqwikSession.finish();
    }
    assertThat(inputs).isGreaterThanOrEqualTo(1_000);
  }

  /** The invariant's second half: everything healthy, and real work still runs end to end. */
  private static void controlHostStillRuns(String host, int round) throws Exception {
    for (URI service :
        List.of(services.intakeUrl(), services.gatewayUrl(), services.sequencerUrl())) {
      assertThat(raw("GET", service.resolve("/health"), null, null).status())
          .as("health of " + service + " after round " + round)
          .isEqualTo(200);
    }
    String script =
        enqueue(host, "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo " + round + "\"}}");
    String install =
        enqueue(
            host,
            "{\"type\":\"software_install\",\"payload\":{\"installer_id\":\"zoom\",\"version\":\"6\","
                + "\"download_ref\":\"https://dl.example/zoom.pkg\"}}");
    for (String id : List.of(script, install)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .alias("control activity " + id + " of round " + round)
          .until(() -> "SUCCEEDED".equals(state(id)));
    }
  }

  // ------------------------------------------------------------------ intake, HTTP

  private record Mutation(String field, Function<Map<String, Object>, Object> apply) {}

  private static final long DAY = 86_400_000L;

  /** One enqueue body made invalid in one generated way; the field it breaks, if any. */
  private static Mutation mutation() {
    String junk = sample(junkText());
    Object wrongType = sample(wrongType());
    List<Mutation> all =
        List.of(
            set("timeout_ms", sample(Arbitraries.longs().between(Long.MIN_VALUE, 999))),
            set("timeout_ms", sample(Arbitraries.longs().between(7 * DAY + 1, Long.MAX_VALUE))),
            set("priority", sample(Arbitraries.longs().between(1_000_001, Integer.MAX_VALUE))),
            set("priority", sample(Arbitraries.longs().between(Integer.MIN_VALUE, -1_000_001))),
            set(
                "retry",
                Map.of("max_attempts", sample(Arbitraries.integers().between(21, 1 << 30)))),
            set("retry", Map.of("max_attempts", sample(Arbitraries.integers().between(-5, 0)))),
            set(
                "retry",
                Map.of("backoff_ms", sample(Arbitraries.longs().between(DAY + 1, Long.MAX_VALUE)))),
            set(
                "retry",
                Map.of("backoff_ms", sample(Arbitraries.longs().between(Long.MIN_VALUE, -1)))),
            set(
                "retry",
                Map.of("backoff_multiplier", sample(Arbitraries.doubles().between(10.01, 1e300)))),
            set(
                "not_before",
                Instant.now()
                    .plus(Duration.ofDays(sample(Arbitraries.integers().between(367, 100_000))))
                    .toString()),
            set("not_before", junk),
            set("dedupe_key", "k".repeat(sample(Arbitraries.integers().between(1_025, 5_000)))),
            set("dedupe_key", "key\u0000" + junk),
            set("initiator", Map.of("kind", "user", "actor_id", "a".repeat(1_025))),
            set("initiator", Map.of("kind", "user", "actor_id", "u1", "name", "n\u0000" + junk)),
            set("initiator", Map.of("kind", junk + "alien")),
            set("depends_on", List.of(junk + "not-a-uuid")),
            set("depends_on", hundredAndOneIds()),
            set("activity_id", junk + "not-a-uuid"),
            set("lane", junk + "fast"),
            set("type", junk + "nope"),
            set("type", wrongType),
            // Micronaut Serde reads true as 1 and "7" as 7 for a number (documented leniency), so
            // only shapes no reader takes are wrong here.
            set(
                "priority",
                wrongType instanceof Number || wrongType instanceof Boolean ? "high" : wrongType),
            set("payload", wrongType),
            new Mutation("payload", body -> body.put("payload", Map.of())));
    return all.get(RANDOM.nextInt(all.size()));
  }

  private static Mutation set(String field, Object value) {
    return new Mutation(
        field,
        body -> {
          body.put(field, value);
          return value;
        });
  }

  private static List<String> hundredAndOneIds() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      ids.add(UUID.randomUUID().toString());
    }
    return ids;
  }

  private static Arbitrary<String> junkText() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(20),
        Arbitraries.strings().withChars('\u0000', '\u0007', '\u001b', '\uFFFF').ofMaxLength(5),
        Arbitraries.strings().all().ofMaxLength(30));
  }

  private static Arbitrary<Object> wrongType() {
    return Arbitraries.oneOf(
        Arbitraries.just(List.of(1, 2)),
        Arbitraries.just(Map.of("nested", Map.of("deeper", true))),
        Arbitraries.just(true),
        Arbitraries.doubles().map(d -> (Object) d));
  }

  /**
   * A value no reader takes for a number. Micronaut Serde 2 reads true as 1, "7" as 7 and 7.5 as 7
   * (its coercion policy comes with Serde 3.2), so those are not generated as wrong.
   */
  private static Arbitrary<Object> notANumber() {
    return Arbitraries.oneOf(
        Arbitraries.just(List.of(1, 2)),
        Arbitraries.just(Map.of("nested", 1)),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10).map(t -> (Object) ("x" + t)));
  }

  private static Map<String, Object> validScriptBody() {
    Map<String, Object> body = new java.util.HashMap<>();
    body.put("type", "script_run");
    body.put("payload", Map.of("script", "echo fuzz"));
    return body;
  }

  private static void badEnqueue() throws Exception {
    int kind = RANDOM.nextInt(10);
    if (kind == 0) {
      // Not a body at all: garbage, the wrong JSON shape, or nesting a parser can drown in.
      String body =
          switch (RANDOM.nextInt(5)) {
            case 0 -> sample(Arbitraries.strings().all().ofMinLength(1).ofMaxLength(200));
            case 1 -> "[1,2,3]";
            case 2 -> "[".repeat(sample(Arbitraries.integers().between(1_000, 20_000)));
            case 3 -> "{\"type\":\"script_run\",\"payload\":" + "{\"a\":".repeat(3_000) + "1";
            default ->
                "{\"type\": \"script_run\", \"payload\": {\"script\": \""
                    + "x".repeat(3_000_000)
                    + "\"}}";
          };
      expect4xx(intakePost("/v1/hosts/fuzz-host/activities", body), null, "garbage body");
      return;
    }
    if (kind == 1) {
      String host =
          switch (RANDOM.nextInt(4)) {
            case 0 -> "h".repeat(sample(Arbitraries.integers().between(256, 2_000)));
            case 1 -> "bad" + (char) (int) sample(Arbitraries.integers().between(0, 31)) + "host";
            case 2 -> "*";
            default -> "tab\there";
          };
      String path =
          "/v1/hosts/" + URLEncoder.encode(host, StandardCharsets.UTF_8).replace("+", "%20");
      expect4xx(intakePost(path + "/activities", json(validScriptBody())), null, "host " + host);
      return;
    }
    Map<String, Object> body = validScriptBody();
    Mutation m = mutation();
    Object value = m.apply().apply(body);
    expect4xx(
        intakePost("/v1/hosts/fuzz-host/activities", json(body)),
        value instanceof Map || value instanceof List ? null : m.field(),
        m.field() + " = " + abbreviate(String.valueOf(value)));
  }

  private static void badBatch() throws Exception {
    List<Map<String, Object>> activities = new ArrayList<>();
    if (RANDOM.nextInt(4) == 0) {
      for (int i = 0; i < 1_001; i++) {
        Map<String, Object> a = validScriptBody();
        a.put("host_id", "fuzz-batch-" + i);
        activities.add(a);
      }
      expect4xx(intakePost("/v1/batches", json(Map.of("activities", activities))), null, "1001");
      return;
    }
    for (int i = 0; i < 3; i++) {
      Map<String, Object> a = validScriptBody();
      a.put("host_id", "fuzz-batch-" + i);
      activities.add(a);
    }
    Mutation m = mutation();
    Object value = m.apply().apply(activities.get(1));
    expect4xx(
        intakePost("/v1/batches", json(Map.of("activities", activities))),
        null,
        "batch with " + m.field() + " = " + abbreviate(String.valueOf(value)));
  }

  /** A schedule with one bad field of its own, or a bad activity (named inside `activity`). */
  private static void badSchedule() throws Exception {
    Map<String, Object> body = new java.util.HashMap<>();
    body.put("host_id", "fuzz-schedule-host");
    body.put("every", "PT6H");
    body.put("activity", validScriptBody());
    String junk = sample(junkText());
    List<Mutation> own =
        List.of(
            set("every", junk + "P"),
            set("every", "PT" + sample(Arbitraries.integers().between(0, 59)) + "S"),
            set("every", "P" + sample(Arbitraries.integers().between(367, 1 << 30)) + "D"),
            new Mutation("cron", b -> b.put("cron", "0 3 * * *")),
            new Mutation("every", b -> b.remove("every")),
            set("time_zone", junk + "Mars/Olympus"),
            set("start_at", junk),
            set("start_at", Instant.now().plus(Duration.ofDays(400)).toString()),
            set("schedule_id", junk + "not-a-uuid"),
            set("host_id", "bad\u0000host"),
            set("activity", sample(wrongType())));
    if (RANDOM.nextBoolean()) {
      Mutation m = own.get(RANDOM.nextInt(own.size()));
      Object value = m.apply().apply(body);
      expect4xx(
          intakePost("/v1/schedules", json(body)),
          value instanceof Map || value instanceof List || "activity".equals(m.field())
              ? null
              : m.field(),
          "schedule " + m.field() + " = " + abbreviate(String.valueOf(value)));
      return;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> activity = (Map<String, Object>) body.get("activity");
    Mutation m = mutation();
    Object value = m.apply().apply(activity);
    expect4xx(
        intakePost("/v1/schedules", json(body)),
        value instanceof Map || value instanceof List ? null : "activity." + m.field(),
        "schedule activity " + m.field() + " = " + abbreviate(String.valueOf(value)));
  }

  /** A workflow with one bad step, or a run of a good one with bad inputs or hosts. */
  private static void badWorkflow() throws Exception {
    if (RANDOM.nextBoolean()) {
      Map<String, Object> step = validScriptBody();
      step.put("name", "only");
      Mutation m = mutation();
      Object value = m.apply().apply(step);
      expect4xx(
          raw(
              "PUT",
              services.intakeUrl().resolve("/v1/workflows/fuzz-" + RANDOM.nextInt(1_000)),
              json(Map.of("steps", List.of(step))),
              ADMIN),
          "steps[0]",
          "workflow step " + m.field() + " = " + abbreviate(String.valueOf(value)));
      return;
    }
    Answer stored =
        raw(
            "PUT",
            services.intakeUrl().resolve("/v1/workflows/fuzz-run"),
            "{\"inputs\":[\"who\"],\"steps\":[{\"name\":\"s\",\"type\":\"script_run\","
                + "\"payload\":{\"script\":\"echo ${inputs.who}\"}}]}",
            ADMIN);
    assertThat(stored.status()).isIn(200, 201);
    String junk = sample(junkText());
    Map<String, Object> run = new java.util.HashMap<>();
    run.put("host_ids", List.of("fuzz-run-host"));
    run.put("inputs", Map.of("who", "x"));
    switch (RANDOM.nextInt(4)) {
      case 0 -> run.put("inputs", Map.of("who", sample(wrongType())));
      case 1 -> run.put("inputs", Map.of("who", "x", junk + "extra", "y"));
      case 2 -> run.put("host_ids", List.of("bad\u0000" + junk));
      default -> run.put("version", sample(Arbitraries.integers().between(2, Integer.MAX_VALUE)));
    }
    expect4xx(intakePost("/v1/workflows/fuzz-run/runs", json(run)), null, "workflow run " + run);
  }

  /** A secret with a bad name or value, or a script naming a secret that does not exist. */
  private static void badSecret() throws Exception {
    String junk = sample(junkText());
    switch (RANDOM.nextInt(4)) {
      case 0 ->
          expect4xx(
              raw(
                  "PUT",
                  services
                      .intakeUrl()
                      .resolve(
                          "/v1/secrets/"
                              + URLEncoder.encode("bad " + junk, StandardCharsets.UTF_8)
                                  .replace("+", "%20")),
                  json(Map.of("value", "long enough")),
                  ADMIN),
              null,
              "secret name " + abbreviate(junk));
      case 1 ->
          expect4xx(
              raw(
                  "PUT",
                  services.intakeUrl().resolve("/v1/secrets/FUZZ"),
                  json(Map.of("value", junk.length() > 3 ? junk + "\u0000" : junk)),
                  ADMIN),
              "value",
              "secret value " + abbreviate(junk));
      case 2 ->
          expect4xx(
              raw(
                  "PUT",
                  services.intakeUrl().resolve("/v1/secrets/FUZZ"),
                  // Serde reads a number or a boolean as its text (documented leniency), so only
                  // shapes no reader takes for a string are wrong here.
                  json(
                      Map.of(
                          "value",
                          RANDOM.nextBoolean() ? List.of(junk, junk) : Map.of("nested", junk))),
                  ADMIN),
              null,
              "secret value of the wrong type");
      default -> {
        Map<String, Object> body = validScriptBody();
        body.put("payload", Map.of("script", "echo $LINEUP_SECRET_NEVER_" + RANDOM.nextInt(1_000)));
        expect4xx(
            intakePost("/v1/hosts/fuzz-host/activities", json(body)),
            "payload.script",
            "a script naming an unknown secret");
      }
    }
  }

  private static void expect4xx(Answer answer, String field, String input) {
    inputs++;
    assertThat(answer.status())
        .as("status for " + input + ": " + answer.body())
        .isBetween(400, 499);
    assertThat(answer.contentType())
        .as("content type for " + input)
        .startsWith("application/problem+json");
    if (field != null && answer.status() == 400) {
      assertThat(answer.body()).as("the field named for " + input).contains(field);
    }
  }

  // ------------------------------------------------------------------ intake, Kafka front door

  /** A bad record on lineup.requests; those that must be dead-lettered join the list. */
  private static void badRequestRecord(List<Long> mustDeadLetter) throws Exception {
    switch (RANDOM.nextInt(3)) {
      case 0 ->
          mustDeadLetter.add(
              produce(
                  Topics.REQUESTS, sample(Arbitraries.bytes().array(byte[].class).ofMaxSize(300))));
      case 1 -> corrupt(Topics.REQUESTS, mustDeadLetter);
      default ->
          mustDeadLetter.add(
              produce(
                  Topics.REQUESTS,
                  Topics.REQUESTS.valueSerde().serializer().serialize("", outOfRangeRequest())));
    }
  }

  private static ActivityRequest outOfRangeRequest() {
    ActivityRequest.Builder r =
        ActivityRequest.newBuilder()
            .setHostId("fuzz-kafka-host")
            .setType(ActivityType.SCRIPT_RUN)
            .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("0".repeat(64)).build());
    switch (RANDOM.nextInt(6)) {
      case 0 -> r.setTimeoutMs(sample(Arbitraries.longs().between(7 * DAY + 1, Long.MAX_VALUE)));
      case 1 -> r.setPriority(sample(Arbitraries.integers().between(1_000_001, Integer.MAX_VALUE)));
      case 2 -> r.setHostId("bad\u0000host");
      case 3 -> r.setRetry(RetryPolicy.newBuilder().setMaxAttempts(1_000).build());
      case 4 -> r.setDedupeKey("d".repeat(2_000));
      default ->
          r.setInitiator(
              Initiator.newBuilder()
                  .setKind(InitiatorKind.USER)
                  .setActorId("a".repeat(2_000))
                  .build());
    }
    return r.build();
  }

  /**
   * A record with a valid single-object header (marker and a known fingerprint) and a generated
   * body: random bytes, or a valid body with a byte flipped, cut or grown.
   */
  private static <T extends org.apache.avro.specific.SpecificRecord> byte[] corruptAvro(
      Topic<String, T> topic) {
    byte[] valid = topic.valueSerde().serializer().serialize("", sampleRecord(topic));
    byte[] bytes;
    switch (RANDOM.nextInt(4)) {
      case 0 -> {
        bytes = new byte[10 + RANDOM.nextInt(100)];
        RANDOM.nextBytes(bytes);
        System.arraycopy(valid, 0, bytes, 0, 10);
      }
      case 1 -> bytes = java.util.Arrays.copyOf(valid, 10 + RANDOM.nextInt(valid.length - 10));
      case 2 -> {
        bytes = valid.clone();
        // The first body byte is a union index or a string length: make it absurd.
        bytes[10] = (byte) (0x40 | RANDOM.nextInt(0x3f));
      }
      default -> {
        bytes = valid.clone();
        for (int i = 0; i < 3; i++) {
          int at = 10 + RANDOM.nextInt(bytes.length - 10);
          bytes[at] = (byte) (bytes[at] ^ (1 + RANDOM.nextInt(255)));
        }
      }
    }
    return bytes;
  }

  /**
   * Writes a corrupted record; one that no longer decodes must be dead-lettered, so its offset is
   * awaited. A flip can leave a record that still decodes (a changed letter in an id): that one is
   * just another record, handled or refused by the rules, and counted as an input all the same.
   */
  private static <T extends org.apache.avro.specific.SpecificRecord> void corrupt(
      Topic<String, T> topic, List<Long> mustDeadLetter) throws Exception {
    byte[] bytes = corruptAvro(topic);
    long offset = produce(topic, bytes);
    try {
      topic.valueSerde().deserializer().deserialize(topic.name(), bytes);
      inputs++;
    } catch (RuntimeException undecodable) {
      mustDeadLetter.add(offset);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T sampleRecord(Topic<String, T> topic) {
    if (topic == (Object) Topics.RESULTS) {
      return (T) result(UUID.randomUUID().toString(), "fuzz-host", "out");
    }
    if (topic == (Object) Topics.REQUESTS) {
      return (T) outOfRangeRequest();
    }
    return (T)
        dev.lineup.avro.Command.newBuilder()
            .setCommandId(UUID.randomUUID().toString())
            .setHostId("fuzz-host")
            .setIssuedAt(Instant.now())
            .setBody(dev.lineup.avro.Pause.newBuilder().build())
            .build();
  }

  private static ActivityResult result(String activityId, String host, String output) {
    return ActivityResult.newBuilder()
        .setResultId(UUID.randomUUID().toString())
        .setActivityId(activityId)
        .setHostId(host)
        .setAttempt(1)
        .setKind(ResultKind.SUCCEEDED)
        .setOccurredAt(Instant.now())
        .setOutput(output)
        .build();
  }

  /** A well-formed result too big to become an event as it is: the sequencer must cut it. */
  private static void oversizedResultRecord() throws Exception {
    inputs++;
    produce(
        Topics.RESULTS,
        Topics.RESULTS
            .valueSerde()
            .serializer()
            .serialize(
                "", result(UUID.randomUUID().toString(), "fuzz-host", "\u0000".repeat(900_000))));
  }

  // ------------------------------------------------------------------ gateway

  private static void badWebhook() throws Exception {
    String body =
        switch (RANDOM.nextInt(5)) {
          case 0 -> sample(Arbitraries.strings().all().ofMaxLength(200));
          case 1 ->
              "{\"topic\":\"mdm.Connect\",\"acknowledge_event\":" + json(sample(wrongType())) + "}";
          case 2 ->
              "{\"topic\":\"mdm.Connect\",\"acknowledge_event\":{\"udid\":\"u\",\"status\":\"Acknowledged\","
                  + "\"command_uuid\":\""
                  + UUID.randomUUID()
                  + "\",\"raw_payload\":\""
                  + "A".repeat(RANDOM.nextInt(2_000_000))
                  + "\"}}";
          case 3 -> "{\"acknowledge_event\":{\"status\":\"\\u0000\",\"command_uuid\":\"\\u0000\"}}";
          default -> "[".repeat(10_000);
        };
    inputs++;
    Answer answer =
        raw("POST", services.gatewayUrl().resolve("/v1/mdm/webhook?secret=" + WEBHOOK), body, null);
    assertThat(answer.status()).as("webhook answer to " + abbreviate(body)).isBetween(200, 499);
  }

  /** An agent holding a real task sends generated bad reports; then a good one with bad text. */
  private static void badAgentReports() throws Exception {
    String host = "fuzz-agent-" + UUID.randomUUID();
    Answer enrolled =
        raw(
            "POST",
            services.gatewayUrl().resolve("/v1/agent/enroll"),
            "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}",
            null);
    String hostToken = (String) enrolled.json().get("host_token");
    String id = enqueue(host, "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo hi\"}}");
    Answer task = null;
    for (int i = 0; i < 20 && (task == null || task.status() != 200); i++) {
      task =
          raw("GET", services.gatewayUrl().resolve("/v1/agent/tasks/next?wait=5"), null, hostToken);
    }
    assertThat(task.status()).isEqualTo(200);
    String taskToken = (String) task.json().get("task_token");
    URI report = services.gatewayUrl().resolve("/v1/agent/tasks/" + id + "/result");
    for (int i = 0; i < 5; i++) {
      String body =
          switch (RANDOM.nextInt(5)) {
            case 0 -> "{\"outcome\":" + json(sample(junkText())) + "}";
            case 1 ->
                "{\"outcome\":\"succeeded\",\"exit_code\":" + json(sample(notANumber())) + "}";
            case 2 -> sample(Arbitraries.strings().all().ofMaxLength(100));
            case 3 -> "{\"outcome\":\"succeeded\",\"output\":\"" + "x".repeat(3_000_000) + "\"}";
            default -> "{\"outcome\":" + json(sample(wrongType())) + "}";
          };
      inputs++;
      Answer answer = raw("POST", report, body, taskToken);
      assertThat(answer.status()).as("agent report " + abbreviate(body)).isBetween(400, 499);
    }
    // Valid, but with text PostgreSQL refuses and more of it than is kept: recorded, cleaned, cut.
    inputs++;
    Answer good =
        raw(
            "POST",
            report,
            "{\"outcome\":\"succeeded\",\"exit_code\":0,\"output\":\"nul\\u0000"
                + "y".repeat(100_000)
                + "\"}",
            taskToken);
    assertThat(good.status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(state(id)));
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) activity(id).get("result");
    String output = (String) result.get("output");
    assertThat(output).startsWith("nul\uFFFDyyy").endsWith("[truncated]");
    assertThat(output.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(64 * 1024);
  }

  // ------------------------------------------------------------------ dead letters

  private static void awaitDeadLetters(
      Topic<byte[], byte[]> dlq, Topic<String, ?> source, List<Long> offsets) {
    inputs += offsets.size();
    Set<Long> missing = new HashSet<>(offsets);
    try (var consumer =
        new KafkaConsumer<>(
            Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "fuzz-dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(dlq.name()));
      long until = System.currentTimeMillis() + 60_000;
      while (!missing.isEmpty() && System.currentTimeMillis() < until) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          if (source
                  .name()
                  .equals(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_TOPIC))
              && "0"
                  .equals(
                      DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_PARTITION))) {
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON)).isNotBlank();
            missing.remove(
                Long.parseLong(
                    DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET)));
          }
        }
      }
    }
    assertThat(missing).as("records of " + source.name() + " without a dead letter").isEmpty();
  }

  private static KafkaProducer<String, byte[]> producer;

  /** Writes {@code value} to partition 0 of {@code topic}; its offset. */
  private static long produce(Topic<String, ?> topic, byte[] value) throws Exception {
    if (producer == null) {
      producer =
          new KafkaProducer<>(
              Map.<String, Object>of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  bootstrap,
                  ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                  2_000_000),
              new org.apache.kafka.common.serialization.StringSerializer(),
              new ByteArraySerializer());
    }
    RecordMetadata written =
        producer.send(new ProducerRecord<>(topic.name(), 0, "fuzz-host", value)).get();
    return written.offset();
  }

  // ------------------------------------------------------------------ plain HTTP

  private record Answer(int status, String contentType, String body) {
    @SuppressWarnings("unchecked")
    Map<String, Object> json() throws Exception {
      return BadInputFuzzTest.json.readValue(body, Map.class);
    }
  }

  private static Answer intakePost(String path, String body) throws Exception {
    return raw("POST", services.intakeUrl().resolve(path), body, ADMIN);
  }

  private static String enqueue(String host, String body) throws Exception {
    Answer answer = intakePost("/v1/hosts/" + host + "/activities", body);
    assertThat(answer.status()).as(answer.body()).isEqualTo(202);
    return (String) answer.json().get("activity_id");
  }

  private static Map<String, Object> activity(String id) throws Exception {
    return raw("GET", services.intakeUrl().resolve("/v1/activities/" + id), null, ADMIN).json();
  }

  private static String state(String id) throws Exception {
    Answer answer = raw("GET", services.intakeUrl().resolve("/v1/activities/" + id), null, ADMIN);
    return answer.status() == 200 ? (String) answer.json().get("state") : null;
  }

  private static Answer raw(String method, URI uri, String body, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> answer = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(
        answer.statusCode(), answer.headers().firstValue("content-type").orElse(""), answer.body());
  }

  private static String json(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...(" + text.length() + ")";
  }
}
