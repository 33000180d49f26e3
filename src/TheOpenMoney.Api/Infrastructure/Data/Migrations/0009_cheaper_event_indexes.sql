-- Less index work per event (issue 16 budgets order creation at most 5 % for the event log):
-- * ux_events_seq covers numbered events only: an event no longer adds a NULL entry when it is written
--   (the dispatcher's numbering adds the real one), and uniqueness of the public id is unchanged.
-- * created_at, read only by the hourly retention sweep, as a BRIN index: events are appended in time
--   order, so block-range summaries find the old ones for a fraction of a btree's upkeep on every
--   insert and every numbering.
DROP INDEX ux_events_seq;
CREATE UNIQUE INDEX ux_events_seq ON events (seq) WHERE seq IS NOT NULL;
DROP INDEX ix_events_created_at;
CREATE INDEX ix_events_created_at ON events USING brin (created_at);
