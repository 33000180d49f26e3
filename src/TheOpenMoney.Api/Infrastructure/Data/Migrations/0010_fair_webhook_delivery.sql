-- Fair webhook delivery (issue 21): one partner's dead endpoint must never delay another's webhooks.
--
-- * Claims go endpoint by endpoint (ix_webhook_deliveries_endpoint_due: each endpoint's queue head in
--   due order), so an endpoint with nothing in flight is served in the next claim whatever the others owe.
-- * A circuit per endpoint: consecutive_failures counts attempts in a row that got no 2xx; from
--   Webhooks:CircuitBreakAfter on, the endpoint gets one attempt at a time (a probe), and not before
--   circuit_open_until, which backs off like a delivery's retries. A 2xx closes it (count back to 0).
-- * A claimed attempt holds a lease (leased_until): re-arming (PUT /webhook, redeliver) leaves leased rows
--   alone, and an attempt's outcome is written only if its row is still the one it claimed (pending, same
--   attempt number), so DELETE /webhook cancels attempts in flight for good.
ALTER TABLE webhook_endpoints
    ADD COLUMN consecutive_failures integer     NOT NULL DEFAULT 0,
    ADD COLUMN circuit_open_until   timestamptz NULL,
    ADD CONSTRAINT ck_webhook_endpoints_failures CHECK (consecutive_failures >= 0);

ALTER TABLE webhook_deliveries ADD COLUMN leased_until timestamptz NULL;

CREATE INDEX ix_webhook_deliveries_endpoint_due ON webhook_deliveries (partner_id, next_attempt_at, id) WHERE status = 'pending';
DROP INDEX ix_webhook_deliveries_due;

-- Secrets being retired after a rotation: each keeps signing (one more v1= in TOM-Signature) until its
-- expires_at, so every secret that was in use when a rotation was asked for keeps its overlap, however
-- many rotations follow. Encrypted like the current secret (bound to the partner).
CREATE TABLE webhook_retiring_secrets (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id       bigint      NOT NULL REFERENCES webhook_endpoints (partner_id) ON DELETE CASCADE,
    secret_encrypted bytea       NOT NULL,
    secret_prefix    varchar(16) NOT NULL,
    expires_at       timestamptz NOT NULL
);
CREATE INDEX ix_webhook_retiring_secrets_partner ON webhook_retiring_secrets (partner_id, expires_at);

INSERT INTO webhook_retiring_secrets (partner_id, secret_encrypted, secret_prefix, expires_at)
SELECT partner_id, previous_secret_encrypted, '', previous_secret_expires_at
  FROM webhook_endpoints
 WHERE previous_secret_encrypted IS NOT NULL AND previous_secret_expires_at > now();

ALTER TABLE webhook_endpoints DROP COLUMN previous_secret_encrypted, DROP COLUMN previous_secret_expires_at;

-- An idempotent request's stored answer may hold a secret (POST /webhook/rotate-secret): such answers are
-- stored encrypted, like the secret itself.
ALTER TABLE idempotency_records ADD COLUMN response_protected boolean NOT NULL DEFAULT false;
