package dev.lineup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The images the manifests and compose file run are the images the build makes: each Jib-built
 * module's pom names its image ({@code lineup.image.name}) under the root pom's registry.
 */
class ImagesTest {

  private static final Pattern NAME =
      Pattern.compile("<lineup.image.name>([^<]+)</lineup.image.name>");
  private static final Pattern REGISTRY =
      Pattern.compile("<lineup.image.registry>([^<]+)</lineup.image.registry>");

  @Test
  void everyImageDeployedIsOneTheBuildMakesAndEveryImageBuiltIsKnown() throws IOException {
    String registry = first(REGISTRY, Files.readString(Settings.ROOT.resolve("pom.xml")));
    Map<String, Path> built = new TreeMap<>();
    try (Stream<Path> modules = Files.list(Settings.ROOT)) {
      for (Path pom :
          modules.map(m -> m.resolve("pom.xml")).filter(Files::isRegularFile).toList()) {
        Matcher name = NAME.matcher(Files.readString(pom));
        if (name.find()) {
          built.put(registry + "/" + name.group(1), pom);
        }
      }
    }
    assertThat(built.keySet())
        .as("images built by " + built.values())
        .containsExactlyInAnyOrder(
            Stream.of(Settings.Image.values()).map(i -> i.name).toArray(String[]::new));
  }

  private static String first(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    assertThat(m.find()).as(pattern.pattern()).isTrue();
    return m.group(1);
  }
}
