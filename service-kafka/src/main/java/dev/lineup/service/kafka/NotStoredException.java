package dev.lineup.service.kafka;

/**
 * Kafka did not take a write within its timeout, or refused it: nothing the caller asked for was
 * stored, and the same call again may succeed. A consumer loop treats it as an outage (rule 14: the
 * record is retried, never dead-lettered); an HTTP API answers it with 503 and {@code Retry-After}.
 */
public final class NotStoredException extends RuntimeException {

  /**
   * @param detail what could not be stored, for the caller: never a broker address or a secret
   */
  public NotStoredException(String detail, Throwable cause) {
    super(detail, cause);
  }
}
