-- The ledger updates an activity's row at each of its lifecycle events. PostgreSQL can make such an
-- update heap-only (no new index entries, no index to clean up later) only when no indexed column
-- changes and the row's page has room for the new version.
--
-- activities_type_state indexed the state, which every event changes, so no update was heap-only.
-- Its one user was the summary (GET /v1/summary), a count over all rows that a sequential scan does
-- as well; the per-lane gauges read unfinished rows through activities_upcoming. Now only the
-- last event of an activity (its end, which moves it from the upcoming to the past index) has to
-- touch the indexes.
DROP INDEX IF EXISTS activities_type_state;

-- Room on each page for the next versions of its rows (new pages only; existing ones keep theirs).
ALTER TABLE activities SET (fillfactor = 80);
