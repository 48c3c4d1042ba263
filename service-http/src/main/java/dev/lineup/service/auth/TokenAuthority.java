package dev.lineup.service.auth;

import java.util.Optional;

/** Something that can tell who holds a bearer token: configuration, a token table, ... */
public interface TokenAuthority {

  Optional<Caller> authenticate(String bearerToken);
}
