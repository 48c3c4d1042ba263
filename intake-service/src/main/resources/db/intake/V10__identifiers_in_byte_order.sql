-- Identifiers compare byte by byte (collation "C"), not by the database's language rules.
--
-- The indexes on these columns are on the path of every activity: the claim at the front door,
-- the ledger's row and its per-host indexes, the batch listing. Under a language collation (the
-- official postgres image's default is en_US.UTF-8) every comparison inside those btrees goes
-- through strcoll; with "C" it is a memcmp. An id is an opaque string: equality is the same under
-- both, and nothing lists rows in the order of an id. Measured in docs/BENCHMARKS.md, finding 49.
--
-- Changing a column's collation rebuilds the indexes that use it (the table is not rewritten), so
-- this migration holds a lock on these tables for as long as that takes on a large ledger.
ALTER TABLE activities
    ALTER COLUMN activity_id TYPE text COLLATE "C",
    ALTER COLUMN host_id TYPE text COLLATE "C",
    ALTER COLUMN batch_id TYPE text COLLATE "C";

ALTER TABLE activity_claims
    ALTER COLUMN activity_id TYPE text COLLATE "C",
    ALTER COLUMN host_id TYPE text COLLATE "C",
    ALTER COLUMN batch_id TYPE text COLLATE "C";

ALTER TABLE idempotency_keys
    ALTER COLUMN scoped_key TYPE text COLLATE "C",
    ALTER COLUMN activity_id TYPE text COLLATE "C";

ALTER TABLE batches
    ALTER COLUMN batch_id TYPE text COLLATE "C";
