package dev.lineup.intake.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class OpsReadsTest {

  @Test
  void aReadOverTheBoundIsA503WithRetryAfterAndTheBoundFreesWhenAReadEnds() throws Exception {
    OpsReads reads = new OpsReads(1);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<HttpResponse<?>> first =
        CompletableFuture.supplyAsync(
            () ->
                reads.bounded(
                    () -> {
                      started.countDown();
                      try {
                        release.await(10, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return "first";
                    }));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    HttpResponse<?> refused = reads.bounded(() -> "second");
    assertThat(refused.code()).isEqualTo(503);
    assertThat(refused.getHeaders().get("Retry-After")).isEqualTo("1");

    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).code()).isEqualTo(200);
    assertThat(reads.bounded(() -> "third").body()).isEqualTo("third");
  }

  @Test
  void kafkaNotAnsweringIsA503AndFreesItsPermit() {
    OpsReads reads = new OpsReads(1);
    HttpResponse<?> answer =
        reads.bounded(
            () -> {
              throw new TimeoutException("no broker");
            });
    assertThat(answer.code()).isEqualTo(503);
    assertThat(answer.getHeaders().get("Retry-After")).isEqualTo("1");
    assertThat(reads.bounded(() -> "next").code()).isEqualTo(200);
  }
}
