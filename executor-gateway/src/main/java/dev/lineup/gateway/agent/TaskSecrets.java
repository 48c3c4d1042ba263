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

  /** What replaces output that could not be checked for secrets: it is withheld, never leaked. */
  static final String WITHHELD =
      "[output withheld: the gateway could not read the secrets this task's scripts reference to"
          + " mask them; the outcome and exit code stand]";

  /** Tasks, and scripts, remembered at most; in memory only, never stored. */
  private static final int REMEMBERED = 10_000;

  /** What this gateway handed one task: which of its scripts, and the values put into them. */
  private record HandedOut(Set<String> scripts, Set<String> values) {}

  private final ContentSource contents;
  private final JsonMapper json;
  private final Optional<SecretBox> box;

  /** The secrets each stored script references: content never changes under its hash. */
  private final Map<String, Set<String>> namesByScript = bounded();

  /**
   * By task ({@code activity id:attempt}), what its holder was given here, so that its output is
   * masked with those values even if a secret changed since, and without reading the scripts again.
   * Lost with the process.
   */
  private final Map<String, HandedOut> handedOut = bounded();

  public TaskSecrets(
      ContentSource contents, JsonMapper json, @Value("${lineup.secrets-key:}") String key) {
    this.contents = contents;
    this.json = json;
    this.box = SecretBox.of(key);
  }

  private static <V> Map<String, V> bounded() {
    return java.util.Collections.synchronizedMap(
        new LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
            return size() > REMEMBERED;
          }
        });
  }

  /** Whether a payload field names a script, whose references are resolved. */
  static boolean isScript(String field) {
    return field.endsWith("script_sha256");
  }

  /**
   * The script {@code body} (stored under {@code sha}) with its secret references resolved, for the
   * holder of {@code released}. A 409 if a secret it names is gone, a 503 if the gateway has no key
   * or intake does not answer.
   */
  byte[] resolve(ReleasedActivity released, String sha, byte[] body) throws InterruptedException {
    String text = new String(body, StandardCharsets.UTF_8);
    Set<String> names = SecretReferences.in(text);
    namesByScript.put(sha, Set.copyOf(names));
    Map<String, String> values = names.isEmpty() ? Map.of() : values(names);
    HandedOut given =
        handedOut.computeIfAbsent(
            task(released),
            k ->
                new HandedOut(
                    java.util.concurrent.ConcurrentHashMap.newKeySet(),
                    java.util.concurrent.ConcurrentHashMap.newKeySet()));
    given.scripts().add(sha);
    given.values().addAll(values.values());
    return names.isEmpty()
        ? body
        : SecretReferences.resolve(text, values).getBytes(StandardCharsets.UTF_8);
  }

  private static String task(ReleasedActivity released) {
    return released.getActivity().getActivityId() + ":" + released.getAttempt();
  }

  /**
   * {@code output} with the value of every secret the task's scripts reference masked. A script
   * handed out here is masked with the values it was given; one this gateway did not hand out (its
   * holder fetched it from another instance, or before a restart) with the current values, which
   * takes reading it (once per script) and its secrets from intake. If that is impossible now, the
   * output is withheld rather than risked: a result must not wait on intake, and a secret must not
   * leak.
   */
  String scrub(ReleasedActivity released, String output) throws InterruptedException {
    HandedOut given = handedOut.get(task(released));
    if (output == null || output.isEmpty()) {
      return output;
    }
    List<String> values = new ArrayList<>();
    if (given != null) {
      values.addAll(given.values());
    }
    try {
      for (Map.Entry<String, Object> field :
          PayloadFields.of((SpecificRecord) released.getActivity().getPayload()).entrySet()) {
        if (isScript(field.getKey())
            && field.getValue() instanceof String sha
            && (given == null || !given.scripts().contains(sha))) {
          for (String name : referencedBy(sha)) {
            open(name).ifPresent(values::add);
          }
        }
      }
    } catch (IOException | ApiException e) {
      return WITHHELD;
    }
    return SecretReferences.scrub(output, values);
  }

  /** Forgets what a task was handed, once its result is recorded (not before: it may be resent). */
  void forget(ReleasedActivity released) {
    handedOut.remove(task(released));
  }

  /** The secrets a stored script references. */
  private Set<String> referencedBy(String sha) throws IOException, InterruptedException {
    Set<String> known = namesByScript.get(sha);
    if (known != null) {
      return known;
    }
    Set<String> names =
        contents
            .fetch(sha)
            .map(body -> SecretReferences.in(new String(body, StandardCharsets.UTF_8)))
            .orElse(Set.of());
    namesByScript.put(sha, Set.copyOf(names));
    return names;
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

  private static ApiException unavailable(String detail) {
    return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Intake unavailable", detail);
  }
}
