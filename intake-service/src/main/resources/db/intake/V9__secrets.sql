-- Secrets (CONTRACT.md, Secrets): values sealed with AES-256-GCM under LINEUP_SECRETS_KEY; intake
-- never stores or answers a value in the clear.
CREATE TABLE secrets (
    name       text        PRIMARY KEY,
    nonce      bytea       NOT NULL,
    sealed     bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which secrets each admitted activity's scripts reference: a secret an unfinished activity
-- references cannot be deleted.
CREATE TABLE secret_references (
    activity_id text        NOT NULL,
    name        text        NOT NULL,
    -- Until the ledger has the activity's row, a recent reference counts as in use.
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, activity_id)
);
