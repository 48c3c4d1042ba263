-- Revocations are forgotten after lineup.gateway.revocation-retention (RevocationRetention): the
-- purge looks them up by age.
CREATE INDEX revocations_revoked_at ON revocations (revoked_at);
