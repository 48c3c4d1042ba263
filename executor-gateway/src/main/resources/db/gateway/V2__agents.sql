-- Enrolled hosts: only the SHA-256 of each host token is kept. Enrolling again rotates it.
CREATE TABLE enrolled_hosts (
    host_id      text        PRIMARY KEY,
    token_sha256 text        NOT NULL UNIQUE,
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- A delivery handed to an agent: PENDING -> DELIVERED -> SUCCEEDED | FAILED, or REVOKED when the
-- activity ends otherwise (cancelled, expired). The task token is bound to this row: one host,
-- one activity, one attempt.
ALTER TABLE deliveries
    ADD COLUMN task_token_sha256 text,
    ADD COLUMN delivered_at      timestamptz,
    ADD COLUMN finished_at       timestamptz,
    ADD COLUMN exit_code         integer,
    ADD COLUMN output            text;

CREATE UNIQUE INDEX deliveries_task_token ON deliveries (task_token_sha256)
    WHERE task_token_sha256 IS NOT NULL;
