package dev.lineup.service.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health check for images without curl: exits 0 when {@code GET <url>} answers 200
 * within two seconds, 1 otherwise. In a Lineup image: {@code java -cp @/app/jib-classpath-file
 * dev.lineup.service.http.HealthProbe http://127.0.0.1:8080/health}.
 */
public final class HealthProbe {

  private HealthProbe() {}

  public static void main(String[] args) {
    System.exit(check(URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:8080/health")));
  }

  /** 0 if {@code url} answers 200, else 1. */
  static int check(URI url) {
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      int status =
          http.send(
                  HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode();
      return status == 200 ? 0 : 1;
    } catch (Exception e) {
      return 1;
    }
  }
}
