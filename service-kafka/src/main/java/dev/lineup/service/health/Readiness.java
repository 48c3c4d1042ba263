package dev.lineup.service.health;

/** One thing a service needs before it can serve: a stream running, a consumer assigned, ... */
public interface Readiness {

  /** A short name for the health answer. */
  String name();

  boolean ready();

  /**
   * False for something the service can do without: while it is down the service still serves the
   * rest (an MDM server down holds up MDM commands, not agents), so {@code /health} reports it in
   * its body and stays 200, and a load balancer keeps the instance.
   */
  default boolean required() {
    return true;
  }

  /**
   * While down, a short word for operators on what it means, or null. {@code /health} is open to
   * anyone: never a secret, an address or an error's own text.
   */
  default String detail() {
    return null;
  }
}
