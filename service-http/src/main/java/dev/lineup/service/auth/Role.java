package dev.lineup.service.auth;

/** What a bearer API token may do. Each role includes the ones below it. */
public enum Role {
  /** Read: status, lists, counts, queues. */
  OBSERVER,
  /** Read, enqueue, cancel, pause, resume. */
  OPERATOR,
  /** Everything, including purging hosts and managing tokens. */
  ADMIN;

  public boolean allows(Role required) {
    return compareTo(required) >= 0;
  }
}
