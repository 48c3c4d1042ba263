-- The ledger: a projection of lineup.events that answers every read of the intake API.

CREATE TABLE activities (
    activity_id   text        PRIMARY KEY,
    host_id       text        NOT NULL,
    type          text        NOT NULL,
    lane          text        NOT NULL,
    priority      integer     NOT NULL,
    batch_id      text,
    state         text        NOT NULL,
    reason        text,
    detail        text,
    attempt       integer     NOT NULL DEFAULT 0,
    -- The sequence of the last event applied: replays never move a row backwards.
    last_sequence bigint      NOT NULL DEFAULT 0,
    -- The order the ledger first saw the activity in: the tie-breaker of listings.
    seen_order    bigserial   NOT NULL,
    created_at    timestamptz NOT NULL,
    released_at   timestamptz,
    finished_at   timestamptz,
    exit_code     integer,
    output        text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX activities_upcoming ON activities (host_id, priority DESC, seen_order)
    WHERE finished_at IS NULL;
CREATE INDEX activities_past ON activities (host_id, finished_at DESC, seen_order DESC)
    WHERE finished_at IS NOT NULL;
CREATE INDEX activities_batch ON activities (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX activities_type_state ON activities (type, state);

-- Scripts and files, stored once by SHA-256.
CREATE TABLE contents (
    sha256     text        PRIMARY KEY,
    body       bytea       NOT NULL,
    size       integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
