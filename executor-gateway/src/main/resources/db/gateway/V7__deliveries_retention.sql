-- Deliveries are forgotten after lineup.gateway.delivery-retention (DeliveryRetention), found by
-- the time they were recorded. Rows are appended in that order, so a BRIN index (one summary per
-- range of pages) finds the old ones without a btree entry per row on the insert path.
CREATE INDEX deliveries_recorded_at ON deliveries USING brin (recorded_at);
