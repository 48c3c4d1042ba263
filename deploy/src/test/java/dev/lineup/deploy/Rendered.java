package dev.lineup.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An overlay as {@code kubectl kustomize} renders it, which is what {@code kubectl apply -k} sends:
 * the tests judge the objects a cluster would get, not the files that make them.
 */
final class Rendered {

  static final Path OVERLAYS = Settings.ROOT.resolve("deploy/k8s/overlays");

  private static final Map<String, List<HasMetadata>> CACHE = new ConcurrentHashMap<>();

  private Rendered() {}

  static List<HasMetadata> overlay(String name) {
    return CACHE.computeIfAbsent(name, Rendered::render);
  }

  private static List<HasMetadata> render(String overlay) {
    String yaml = kustomize(OVERLAYS.resolve(overlay));
    Object parsed = new KubernetesSerialization().unmarshal(yaml);
    if (parsed instanceof List<?> list) {
      return list.stream().map(HasMetadata.class::cast).toList();
    }
    return List.of((HasMetadata) parsed);
  }

  private static String kustomize(Path directory) {
    Process process;
    try {
      process =
          new ProcessBuilder("kubectl", "kustomize", directory.toString())
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start();
    } catch (IOException e) {
      // Never a skip: without kubectl these tests would pass having checked nothing.
      throw new AssertionError(
          "kubectl is not on the PATH. The deploy tests render every overlay with `kubectl"
              + " kustomize` (kubectl 1.32 or newer, which bundles kustomize); install it, as CI"
              + " has it.",
          e);
    }
    try {
      process.getOutputStream().close();
      CompletableFuture<String> out = read(process.getInputStream());
      CompletableFuture<String> err = read(process.getErrorStream());
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("kubectl kustomize " + directory + " took over 120 s");
      }
      if (process.exitValue() != 0) {
        throw new AssertionError(
            "kubectl kustomize "
                + directory
                + " failed ("
                + process.exitValue()
                + "):\n"
                + err.join());
      }
      return out.join();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted rendering " + directory, e);
    }
  }

  private static CompletableFuture<String> read(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            stream.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
