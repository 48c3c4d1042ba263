package dev.lineup.embedded;

import dev.lineup.schemas.TopicProvisioner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension giving a test class a real Kafka broker and a real PostgreSQL, on free ports,
 * in a fresh directory; each is started the first time a test asks for it (as a constructor,
 * lifecycle or test method parameter of type {@link EmbeddedKafka} or {@link EmbeddedDatabase}),
 * shared by the whole class, and stopped after it, broker and database last, after the class's own
 * {@code @AfterAll} has stopped the services using them.
 *
 * <pre>
 * &#64;ExtendWith(LineupInfrastructure.class)
 * class SomethingIT {
 *   &#64;BeforeAll static void start(EmbeddedKafka kafka) { ... kafka.bootstrapServers() ... }
 * }
 * </pre>
 */
public final class LineupInfrastructure implements ParameterResolver {

  /** Partitions of every topic in tests: more than one, so per-host routing is exercised. */
  public static final int TEST_PARTITIONS = 3;

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LineupInfrastructure.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == EmbeddedKafka.class || type == EmbeddedDatabase.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Running running = running(context);
    try {
      return parameter.getParameter().getType() == EmbeddedKafka.class
          ? running.kafka()
          : running.database();
    } catch (Exception e) {
      throw new ParameterResolutionException("could not start the embedded infrastructure", e);
    }
  }

  private static Running running(ExtensionContext context) {
    // Keyed by the class, in the class-level store: shared by its tests, closed after it.
    ExtensionContext classContext =
        context.getTestMethod().isPresent() ? context.getParent().orElseThrow() : context;
    return classContext
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(Running.class, k -> new Running(), Running.class);
  }

  /** The infrastructure of one test class; started piece by piece, closed as a whole. */
  static final class Running implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final Path directory;
    private EmbeddedKafka kafka;
    private EmbeddedDatabase database;

    Running() {
      try {
        directory = Files.createTempDirectory("lineup-test-");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    synchronized EmbeddedKafka kafka() throws Exception {
      if (kafka == null) {
        kafka = EmbeddedKafka.start(directory, 0, Map.of());
        TopicProvisioner.provision(kafka.bootstrapServers(), TEST_PARTITIONS, (short) 1);
      }
      return kafka;
    }

    synchronized EmbeddedDatabase database() throws IOException {
      if (database == null) {
        database = EmbeddedDatabase.start(directory, 0);
      }
      return database;
    }

    @Override
    public synchronized void close() throws Exception {
      try (var d = database;
          var k = kafka) {
        // try-with-resources closes the broker first, then the database, null-safely.
      } finally {
        deleteRecursively(directory);
      }
    }

    private static void deleteRecursively(Path root) throws IOException {
      if (!Files.exists(root)) {
        return;
      }
      try (Stream<Path> paths = Files.walk(root)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
