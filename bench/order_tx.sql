-- The database work of one POST /api/v1/orders/stars, statement for statement, for pgbench: the key
-- lookup, the idempotency replay check, then the creating transaction (claim the key, insert the
-- order under a fresh memo, store the response). pgbench -D sets :partner and :keyhash.
\set n random(1, 2000000000)
SELECT id, partner_id, prefix, last_used_at FROM api_keys WHERE key_hash = decode(:keyhash, 'hex') AND revoked_at IS NULL;
SELECT request_hash, response_body FROM idempotency_records WHERE partner_id = :partner AND idempotency_key = 'pgb-' || :client_id || '-' || :n LIMIT 1;
BEGIN;
SET LOCAL lock_timeout = 15000;
INSERT INTO idempotency_records (partner_id, idempotency_key, request_method, request_path, request_hash, response_status, response_body, created_at, expires_at)
VALUES (:partner, 'pgb-' || :client_id || '-' || :n, 'POST', '/api/v1/orders/stars', '\x00'::bytea, 200, '\x'::bytea, now(), now() + interval '1 day')
ON CONFLICT (partner_id, idempotency_key) DO NOTHING;
SET LOCAL lock_timeout = 0;
INSERT INTO orders (partner_id, status, order_type, stars_amount, premium_months, recipient_username, recipient_check,
                    price_nanoton, price_usd, fee_percent, ton_usd_rate, rate_source, payment_method, payment_currency,
                    payment_address, payment_memo, client_reference, expires_at, created_at, updated_at, paid_at, paid_nanoton)
VALUES (:partner, 'pending_payment', 'stars', 100, NULL, 'pandus', 'ELIGIBLE', 417000000, 1.5, 0, 3.6, 'fixed', 'ton_memo', 'TON',
        'UQC2Ttw51lkpMeynPSb5YeHKMu152koHzptMpy6mAVDO9y6F', 'STARS-' || substr(md5(random()::text), 1, 6), 'bench',
        now() + interval '15 minutes', now(), now(), NULL, 0)
ON CONFLICT (payment_memo) DO NOTHING RETURNING id;
UPDATE idempotency_records SET response_status = 200, response_body = convert_to(repeat('x', 1000), 'UTF8')
 WHERE partner_id = :partner AND idempotency_key = 'pgb-' || :client_id || '-' || :n;
COMMIT;
