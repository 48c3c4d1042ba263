-- A poll's claim key (the agent's Idempotency-Key on GET /v1/agent/tasks/next), kept as SHA-256 on
-- the delivery it claimed. The same poll sent again - its answer was lost, say because the gateway
-- died between claiming the task and answering - gets the same task back, with a new task token,
-- instead of leaving it DELIVERED to nobody until its lease lapses.
ALTER TABLE deliveries ADD COLUMN claim_key_sha256 text;

CREATE INDEX deliveries_host_delivered ON deliveries (host_id) WHERE state = 'DELIVERED';
