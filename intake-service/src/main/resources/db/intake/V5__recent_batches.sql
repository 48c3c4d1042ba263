-- The ops page lists the newest batches (GET /v1/batches): newest first by an index, not a sort of
-- every batch ever accepted.
CREATE INDEX batches_created_at ON batches (created_at DESC);
