package dev.lineup.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where an agent keeps its hosts' tokens between runs: one file per host in a directory (readable
 * by its owner only), or, without a directory, in memory for this run. A host enrolled before must
 * show its token to enroll again, so an agent that forgot it would be refused (409) until an admin
 * reset the host's enrollment.
 */
final class HostTokens {

  private final Path dir;
  private final Map<String, String> inMemory = new ConcurrentHashMap<>();

  /** Tokens under {@code dir}; null keeps them in memory only. */
  HostTokens(Path dir) {
    this.dir = dir;
  }

  Optional<String> of(String hostId) {
    if (dir == null) {
      return Optional.ofNullable(inMemory.get(hostId));
    }
    Path file = file(hostId);
    try {
      return Files.exists(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Keeps the token, replacing the file at once, so a crash leaves the old token or the new. */
  void keep(String hostId, String token) {
    if (dir == null) {
      inMemory.put(hostId, token);
      return;
    }
    try {
      Files.createDirectories(dir);
      Path next = Files.createTempFile(dir, ".token-", ".tmp");
      try {
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: the directory's own permissions have to do.
      }
      Files.writeString(next, token);
      Files.move(next, file(hostId), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path file(String hostId) {
    return dir.resolve(URLEncoder.encode(hostId, StandardCharsets.UTF_8) + ".token");
  }
}
