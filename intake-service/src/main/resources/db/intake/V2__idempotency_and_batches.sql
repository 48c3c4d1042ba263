-- Idempotency-Key: the same key and body answers the same activity; another body is a 409.
CREATE TABLE idempotency_keys (
    -- The caller's name and their key: keys of different callers never collide.
    scoped_key   text        PRIMARY KEY,
    body_sha256  text        NOT NULL,
    activity_id  text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Batches enqueued all or nothing; their activities carry the batch id.
CREATE TABLE batches (
    batch_id   text        PRIMARY KEY,
    size       integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
