-- API tokens: only their SHA-256 is stored; the token is shown once, when it is made.
CREATE TABLE api_tokens (
    name         text        PRIMARY KEY,
    token_sha256 text        NOT NULL UNIQUE,
    role         text        NOT NULL CHECK (role IN ('ADMIN', 'OPERATOR', 'OBSERVER')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
