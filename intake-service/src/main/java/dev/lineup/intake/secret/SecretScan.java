package dev.lineup.intake.secret;

import dev.lineup.avro.Activity;
import dev.lineup.intake.content.ContentStore;
import dev.lineup.intake.validation.FieldErrors;
import dev.lineup.schemas.PayloadFields;
import dev.lineup.service.secrets.SecretReferences;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;

/**
 * Which secrets an activity's scripts reference: its script, and an install's install, post-install
 * and uninstall scripts, read from the content store. Content never changes under its hash, so what
 * a script references is remembered by hash.
 */
@Singleton
public final class SecretScan {

  private static final int REMEMBERED = 10_000;

  private final ContentStore contents;
  private final Secrets secrets;
  private final Map<String, Set<String>> byScript =
      Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Set<String>> eldest) {
              return size() > REMEMBERED;
            }
          });

  public SecretScan(ContentStore contents, Secrets secrets) {
    this.contents = contents;
    this.secrets = secrets;
  }

  /** The secrets {@code activity}'s scripts reference, by the payload field naming each script. */
  public Map<String, Set<String>> byField(Activity activity) throws SQLException {
    Map<String, Set<String>> found = new LinkedHashMap<>();
    if (!(activity.getPayload() instanceof SpecificRecord payload)) {
      return found;
    }
    for (Map.Entry<String, Object> field : PayloadFields.of(payload).entrySet()) {
      if (field.getKey().endsWith("script_sha256") && field.getValue() instanceof String sha) {
        Set<String> names = referencedBy(sha);
        if (!names.isEmpty()) {
          found.put(field.getKey(), names);
        }
      }
    }
    return found;
  }

  /** Every secret {@code activity} references. */
  public Set<String> names(Activity activity) throws SQLException {
    Set<String> all = new TreeSet<>();
    byField(activity).values().forEach(all::addAll);
    return all;
  }

  /**
   * Names, under {@code payload.<field>} ({@code payload.script} for a script run), every secret
   * the activity references that does not exist.
   */
  public void checkKnown(Activity activity, FieldErrors errors) throws SQLException {
    for (Map.Entry<String, Set<String>> field : byField(activity).entrySet()) {
      Set<String> missing = secrets.missing(field.getValue());
      if (!missing.isEmpty()) {
        String name = field.getKey().equals("script_sha256") ? "script" : field.getKey();
        errors.add(
            "payload." + name,
            "references secrets that do not exist: "
                + String.join(", ", missing)
                + " (PUT /v1/secrets/{name} first)");
      }
    }
  }

  /**
   * Remembers what a script just stored under {@code sha} references, from its text in hand, so
   * checking it does not read back from the database what was just written there.
   */
  public void stored(String sha, String script) {
    byScript.put(sha, Set.copyOf(SecretReferences.in(script)));
  }

  private Set<String> referencedBy(String sha) throws SQLException {
    Set<String> known = byScript.get(sha);
    if (known != null) {
      return known;
    }
    Set<String> names =
        contents
            .get(sha)
            .map(body -> SecretReferences.in(new String(body, StandardCharsets.UTF_8)))
            .orElse(Set.of());
    byScript.put(sha, Set.copyOf(names));
    return names;
  }
}
