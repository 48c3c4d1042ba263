-- One row per released attempt: what the gateway was handed and what became of it.
CREATE TABLE deliveries (
    activity_id      text        NOT NULL,
    attempt          integer     NOT NULL,
    host_id          text        NOT NULL,
    channel          text        NOT NULL,
    type             text        NOT NULL,
    state            text        NOT NULL,
    released_at      timestamptz NOT NULL,
    lease_expires_at timestamptz NOT NULL,
    -- The released activity as the sequencer sent it (single-object Avro).
    released         bytea       NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, attempt)
);

CREATE INDEX deliveries_host_pending ON deliveries (host_id, released_at) WHERE state = 'PENDING';
