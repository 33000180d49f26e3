WITH batch AS (
DELETE FROM event_queue WHERE event_id IN (SELECT event_id FROM event_queue ORDER BY event_id LIMIT 2000 FOR UPDATE) RETURNING event_id
), numbered AS (
INSERT INTO event_numbers (seq, event_id, partner_id)
SELECT nextval('event_seq'), o.id, o.partner_id FROM (SELECT e.id, e.partner_id FROM batch b JOIN events e ON e.id = b.event_id ORDER BY e.id) o
RETURNING event_id, partner_id
), queued AS (
INSERT INTO webhook_deliveries (partner_id, event_id, status, next_attempt_at, first_queued_at)
SELECT n.partner_id, n.event_id, 'pending', now(), now()
FROM numbered n JOIN webhook_endpoints w ON w.partner_id = n.partner_id
WHERE w.enabled
RETURNING 1
)
SELECT (SELECT count(*) FROM numbered), (SELECT count(*) FROM queued);
