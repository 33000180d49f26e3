-- Event ids per partner (issue 21): one global sequence let any partner read the platform's event volume
-- off the ids it was given. Each partner now has its own counter; the dispatcher (one leader) still
-- numbers committed events in the order it sees them, so a partner's ids only ever grow and a cursor
-- (GET /events?after=) can never pass an event that commits later. Ids already given keep their value,
-- and each partner's counter continues from its highest one.
CREATE TABLE event_counters (
    partner_id bigint PRIMARY KEY REFERENCES partners (id) ON DELETE RESTRICT,
    last_seq   bigint NOT NULL CHECK (last_seq >= 0)
);

INSERT INTO event_counters (partner_id, last_seq)
SELECT partner_id, max(seq) FROM events WHERE seq IS NOT NULL GROUP BY partner_id;

DROP INDEX ux_events_seq;
DROP INDEX ix_events_partner_seq;
CREATE UNIQUE INDEX ux_events_partner_seq ON events (partner_id, seq) WHERE seq IS NOT NULL;
DROP SEQUENCE event_seq;
