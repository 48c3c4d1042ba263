-- Rule 17 and the idempotency window. Intake claims an activity id for its host in the same step
-- that admits the enqueue, before anything reaches a topic: the ledger is a projection that lags,
-- so it cannot say in time whether an id is taken. A claim lives for the idempotency window
-- (lineup.intake.idempotency-window): within it, the same id again on the same host is a no-op,
-- on another host a conflict. A periodic job deletes older claims.
CREATE TABLE activity_claims (
    activity_id text        PRIMARY KEY,
    host_id     text        NOT NULL,
    -- Who claimed it: 'http:<uuid>', 'batch:<batch id>', 'requests:<partition>:<offset>'.
    -- The same origin claiming again (a front-door batch read again after its transaction was
    -- aborted) is admitted again; 'abandoned:...' marks a claim whose enqueue failed.
    origin      text        NOT NULL,
    batch_id    text,
    claimed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX activity_claims_claimed_at ON activity_claims (claimed_at);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Activities accepted before claims existed: claimed as of their acceptance, so the first purge
-- forgets those already outside the window.
INSERT INTO activity_claims (activity_id, host_id, origin, batch_id, claimed_at)
SELECT activity_id, host_id, 'ledger', batch_id, created_at FROM activities
ON CONFLICT DO NOTHING;
