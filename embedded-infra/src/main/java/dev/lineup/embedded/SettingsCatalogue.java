package dev.lineup.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * Every setting a Lineup service reads, from its {@code application-*.yml}: each documents its
 * every knob there, the secrets as commented-out keys ({@code # admin-token:}) since a service must
 * not start with a default one. For checks that a deployment (compose, Kubernetes, a container)
 * sets only settings that exist: a misspelt variable is otherwise ignored in silence.
 */
public final class SettingsCatalogue {

  /** A commented-out key with no value or a one-word example: {@code # intake-token:}. */
  private static final Pattern COMMENTED_KEY =
      Pattern.compile("^(\\s*)# ([a-z][a-z0-9-]*):( \\S+)?\\s*$", Pattern.MULTILINE);

  private final Set<String> properties;

  private SettingsCatalogue(Set<String> properties) {
    this.properties = properties;
  }

  /** The settings of the services whose {@code application-<service>.yml} is on the class path. */
  public static SettingsCatalogue of(String... services) {
    Set<String> all = new TreeSet<>();
    for (String service : services) {
      String resource = "application-" + service + ".yml";
      try (InputStream in =
          SettingsCatalogue.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalArgumentException(resource + " is not on the class path");
        }
        flatten("", tree(new String(in.readAllBytes(), StandardCharsets.UTF_8)), all);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + resource, e);
      }
    }
    return new SettingsCatalogue(all);
  }

  /** The settings documented in one {@code application-*.yml} file. */
  public static SettingsCatalogue ofFile(java.nio.file.Path file) {
    Set<String> all = new TreeSet<>();
    try {
      flatten("", tree(java.nio.file.Files.readString(file)), all);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    return new SettingsCatalogue(all);
  }

  /** A settings file as a tree, its commented-out keys included. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> tree(String settingsFile) {
    return new Yaml().load(COMMENTED_KEY.matcher(settingsFile).replaceAll("$1$2:$3"));
  }

  private static void flatten(String prefix, Object node, Set<String> into) {
    if (node instanceof Map<?, ?> map && !map.isEmpty()) {
      map.forEach((k, v) -> flatten(prefix.isEmpty() ? k.toString() : prefix + "." + k, v, into));
    } else if (!prefix.isEmpty()) {
      into.add(prefix);
    }
  }

  /** Every setting, as a property name: {@code lineup.intake.database.url}. */
  public Set<String> properties() {
    return properties;
  }

  /** True if {@code variable} sets one of them, by Micronaut's rule for environment variables. */
  public boolean hasVariable(String variable) {
    return properties.stream().anyMatch(p -> variable(p).equals(variable));
  }

  /** {@code lineup.intake.database.url} is set by {@code LINEUP_INTAKE_DATABASE_URL}. */
  public static String variable(String property) {
    return property.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }
}
