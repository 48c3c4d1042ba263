package dev.lineup.service.auth;

/** Who made a request, as proven by their token. Never holds the token itself. */
public record Caller(String name, Role role) {

  /** The request attribute the auth filter leaves the caller under. */
  public static final String ATTRIBUTE = "lineup.caller";
}
