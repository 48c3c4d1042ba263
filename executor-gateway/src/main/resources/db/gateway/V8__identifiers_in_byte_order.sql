-- Identifiers compare byte by byte (collation "C"), not by the database's language rules.
--
-- Every release inserts a delivery (its key, its host's pending index) after looking its activity
-- up among the revocations, and every agent poll finds its host's deliveries and its tokens. Under
-- a language collation (the official postgres image's default is en_US.UTF-8) every comparison
-- inside those btrees goes through strcoll; with "C" it is a memcmp. An id, a token hash or a
-- command UUID is an opaque string: equality is the same under both, and nothing lists rows in the
-- order of one. Measured in docs/BENCHMARKS.md, finding 49.
--
-- Changing a column's collation rebuilds the indexes that use it (the table is not rewritten), so
-- this migration holds a lock on these tables for as long as that takes.
ALTER TABLE deliveries
    ALTER COLUMN activity_id TYPE text COLLATE "C",
    ALTER COLUMN host_id TYPE text COLLATE "C",
    ALTER COLUMN task_token_sha256 TYPE text COLLATE "C",
    ALTER COLUMN claim_key_sha256 TYPE text COLLATE "C",
    ALTER COLUMN command_uuid TYPE text COLLATE "C";

ALTER TABLE revocations
    ALTER COLUMN activity_id TYPE text COLLATE "C";

ALTER TABLE enrolled_hosts
    ALTER COLUMN host_id TYPE text COLLATE "C",
    ALTER COLUMN token_sha256 TYPE text COLLATE "C";
