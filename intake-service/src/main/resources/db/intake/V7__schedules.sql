-- Recurring activities (CONTRACT.md, Schedules). Intake fires them: every poll takes the due rows
-- from the partial index below, so a tick costs what is due, not the number of schedules.
CREATE TABLE schedules (
    schedule_id      text        PRIMARY KEY,
    host_id          text        NOT NULL,
    -- The enqueue body each firing sends, as validated at creation (an inline script already in
    -- the content store, referenced by its SHA-256).
    activity         jsonb       NOT NULL,
    -- Exactly one of the two: an ISO-8601 interval counted from start_at, or a cron expression.
    every            text,
    cron             text,
    time_zone        text        NOT NULL,
    start_at         timestamptz NOT NULL,
    next_fire_at     timestamptz NOT NULL,
    paused           boolean     NOT NULL DEFAULT false,
    -- The last firing that enqueued an activity: a firing while it has not ended is skipped.
    last_activity_id text,
    last_fired_at    timestamptz,
    skipped_firings  bigint      NOT NULL DEFAULT 0,
    -- Why the last firing could not enqueue (its activity no longer valid), until one succeeds.
    last_error       text,
    created_at       timestamptz NOT NULL,
    CHECK ((every IS NULL) <> (cron IS NULL))
);

CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE NOT paused;
CREATE INDEX schedules_host ON schedules (host_id, created_at);
