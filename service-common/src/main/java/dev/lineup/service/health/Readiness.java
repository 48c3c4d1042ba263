package dev.lineup.service.health;

/** One thing a service needs before it can serve: a stream running, a consumer assigned, ... */
public interface Readiness {

  /** A short name for the health answer. */
  String name();

  boolean ready();
}
