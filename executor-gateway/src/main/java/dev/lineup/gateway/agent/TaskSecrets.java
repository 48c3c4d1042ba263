package dev.lineup.gateway.agent;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.PayloadFields;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.secrets.SecretBox;
import dev.lineup.service.secrets.SecretReferences;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpStatus;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;

/**
 * Secrets at delivery (CONTRACT.md, Secrets). A task's scripts reach its holder with every {@code
 * $LINEUP_SECRET_<NAME>} replaced by the value, opened here from intake's sealed form with the
 * secrets key, at the moment of the request: a secret changed since the enqueue gives the new value
 * to tasks handed out after the change. What the holder reports has every such value masked ({@code
 * ***}) before it leaves the gateway. Values are never logged, stored or kept between requests.
 */
@Singleton
public final class TaskSecrets {

  /** Tasks whose handed-out values are remembered, at most; in memory only, never stored. */
  private static final int REMEMBERED_TASKS = 10_000;

  private final ContentSource contents;
  private final JsonMapper json;
  private final Optional<SecretBox> box;

  /**
   * The values each task's holder was given, by task ({@code activity id:attempt}), so its output
   * is masked with them even if a secret changed since. Lost with the process: after a restart the
   * output is masked with the current values only.
   */
  private final Map<String, Set<String>> handedOut =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Set<String>> eldest) {
              return size() > REMEMBERED_TASKS;
            }
          });

  public TaskSecrets(
      ContentSource contents, JsonMapper json, @Value("${lineup.secrets-key:}") String key) {
    this.contents = contents;
    this.json = json;
    this.box = SecretBox.of(key);
  }

  /** Whether a payload field names a script, whose references are resolved. */
  static boolean isScript(String field) {
    return field.endsWith("script_sha256");
  }

  /**
   * {@code body} (a script) with its secret references resolved. A 409 if a secret it names is
   * gone, a 503 if the gateway has no key or intake does not answer.
   */
  byte[] resolve(ReleasedActivity released, byte[] body) throws InterruptedException {
    String text = new String(body, StandardCharsets.UTF_8);
    Set<String> names = SecretReferences.in(text);
    if (names.isEmpty()) {
      return body;
    }
    Map<String, String> values = values(names);
    handedOut
        .computeIfAbsent(task(released), k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
        .addAll(values.values());
    return SecretReferences.resolve(text, values).getBytes(StandardCharsets.UTF_8);
  }

  private static String task(ReleasedActivity released) {
    return released.getActivity().getActivityId() + ":" + released.getAttempt();
  }

  /** {@code output} with the value of every secret the task's scripts reference masked. */
  String scrub(ReleasedActivity released, String output) throws InterruptedException {
    Set<String> given = handedOut.remove(task(released));
    if (output == null || output.isEmpty()) {
      return output;
    }
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, Object> field :
        PayloadFields.of((SpecificRecord) released.getActivity().getPayload()).entrySet()) {
      if (isScript(field.getKey()) && field.getValue() instanceof String sha) {
        Optional<byte[]> script = fetch(sha);
        script.ifPresent(
            body -> names.addAll(SecretReferences.in(new String(body, StandardCharsets.UTF_8))));
      }
    }
    List<String> values = new ArrayList<>();
    if (given != null) {
      values.addAll(given);
    }
    for (String name : names) {
      // The current values too: the holder may have fetched its script from another gateway.
      open(name).ifPresent(values::add);
    }
    return SecretReferences.scrub(output, values);
  }

  private Map<String, String> values(Set<String> names) throws InterruptedException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : names) {
      values.put(
          name,
          open(name)
              .orElseThrow(
                  () ->
                      ApiException.conflict(
                          "the script references secret "
                              + name
                              + ", which no longer exists; its task cannot run as enqueued")));
    }
    return values;
  }

  private Optional<String> open(String name) throws InterruptedException {
    SecretBox key =
        box.orElseThrow(
            () ->
                new ApiException(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Secrets are not configured",
                    "the gateway has no lineup.secrets-key (LINEUP_SECRETS_KEY)"));
    Optional<byte[]> sealed;
    try {
      sealed = contents.sealedSecret(name);
    } catch (IOException e) {
      throw unavailable("intake did not answer for secret " + name);
    }
    if (sealed.isEmpty()) {
      return Optional.empty();
    }
    try {
      Map<String, Object> form =
          json.readValue(sealed.get(), Argument.mapOf(String.class, Object.class));
      Base64.Decoder b64 = Base64.getDecoder();
      return Optional.of(
          key.open(
              name,
              new SecretBox.Sealed(
                  b64.decode((String) form.get("nonce")),
                  b64.decode((String) form.get("sealed")))));
    } catch (IOException | RuntimeException e) {
      throw unavailable("intake's answer for secret " + name + " is not a sealed secret");
    } catch (GeneralSecurityException e) {
      // Sealed under another key: the two services' keys differ. Say which secret, never a value.
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          "Secret unreadable",
          "secret "
              + name
              + " does not open with the gateway's key; intake and the gateway must"
              + " share lineup.secrets-key");
    }
  }

  private Optional<byte[]> fetch(String sha) throws InterruptedException {
    try {
      return contents.fetch(sha);
    } catch (IOException e) {
      throw unavailable("intake did not answer for content " + sha);
    }
  }

  private static ApiException unavailable(String detail) {
    return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Intake unavailable", detail);
  }
}
