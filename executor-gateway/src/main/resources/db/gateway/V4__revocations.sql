-- Activities that ended other than by a report (cancelled, expired), recorded whether or not the
-- gateway has seen their release yet: the revocations consumer and the released consumers read
-- different topics and may see the cancel first. A delivery is revoked when a revocation names its
-- activity, the same acceptance (an activity id reused after the sequencer forgot it is another
-- activity) and its attempt or a later one. Claims, MDM pushes and task tokens check this table, so
-- no order of the two consumers leaves a cancelled or expired attempt to hand out.
CREATE TABLE revocations (
    activity_id text        NOT NULL,
    accepted_at timestamptz NOT NULL,
    -- The attempt that was current when the activity ended (0 if it was never released).
    attempt     integer     NOT NULL,
    -- CANCELLED or EXPIRED.
    state       text        NOT NULL,
    revoked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, accepted_at)
);

-- The acceptance time of each released activity, to match it with its revocation.
ALTER TABLE deliveries ADD COLUMN accepted_at timestamptz;
