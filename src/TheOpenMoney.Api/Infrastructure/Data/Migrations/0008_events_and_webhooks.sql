-- The event log (an outbox): every order transition partners care about and every balance movement is
-- recorded by a trigger in the same transaction as the change, whichever code made it (OrderLifecycle,
-- or apply_deposit in SQL). A rolled-back change leaves no event; a committed one has exactly one.
--
-- Public ids are gap-safe: a transaction can commit after a later one, so the identity `id` does not
-- tell the order in which events became visible. The events job (one leader) gives committed events
-- their public `seq` in the order it sees them; GET /events pages over `seq`, so a reader's cursor can
-- never pass an event that commits later.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq         bigint      NULL,
    partner_id  bigint      NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    type        varchar(32) NOT NULL,
    order_id    bigint      NULL,
    ledger_id   bigint      NULL,
    -- The row as it was at that moment (to_jsonb of orders or balance_ledger): rendered by the API as
    -- the order or ledger row partners see, so the event shows the order "at that moment".
    snapshot    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT ck_events_type CHECK (type IN (
        'order.created', 'order.paid', 'order.completed', 'order.failed', 'order.expired', 'order.cancelled',
        'balance.credited', 'balance.debited', 'ping'))
);
CREATE UNIQUE INDEX ux_events_seq ON events (seq);
CREATE INDEX ix_events_partner_seq ON events (partner_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX ix_events_unsequenced ON events (id) WHERE seq IS NULL;
CREATE INDEX ix_events_created_at ON events (created_at);
CREATE SEQUENCE event_seq AS bigint;

CREATE FUNCTION record_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO events (partner_id, type, order_id, snapshot) VALUES (NEW.partner_id, 'order.created', NEW.id, to_jsonb(NEW));
        IF NEW.status = 'paid' THEN
            INSERT INTO events (partner_id, type, order_id, snapshot) VALUES (NEW.partner_id, 'order.paid', NEW.id, to_jsonb(NEW));
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status
          AND NEW.status IN ('paid', 'completed', 'failed', 'expired', 'cancelled') THEN
        INSERT INTO events (partner_id, type, order_id, snapshot) VALUES (NEW.partner_id, 'order.' || NEW.status, NEW.id, to_jsonb(NEW));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tr_orders_events AFTER INSERT OR UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION record_order_event();

CREATE FUNCTION record_ledger_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (partner_id, type, order_id, ledger_id, snapshot)
    VALUES (NEW.partner_id, CASE WHEN NEW.amount_nanoton > 0 THEN 'balance.credited' ELSE 'balance.debited' END,
            NEW.order_id, NEW.id, to_jsonb(NEW));
    RETURN NULL;
END;
$$;

CREATE TRIGGER tr_balance_ledger_events AFTER INSERT ON balance_ledger
    FOR EACH ROW EXECUTE FUNCTION record_ledger_event();

-- One webhook endpoint per partner. The secret is stored encrypted (AES-256-GCM, Webhooks:SecretKey):
-- it must be recoverable to sign. During a rotation the previous secret signs beside the new one until
-- previous_secret_expires_at.
CREATE TABLE webhook_endpoints (
    partner_id                 bigint        PRIMARY KEY REFERENCES partners (id) ON DELETE RESTRICT,
    url                        varchar(2048) NOT NULL,
    event_types                text[]        NULL,
    enabled                    boolean       NOT NULL,
    secret_encrypted           bytea         NOT NULL,
    secret_prefix              varchar(16)   NOT NULL,
    previous_secret_encrypted  bytea         NULL,
    previous_secret_expires_at timestamptz   NULL,
    disabled_reason            text          NULL,
    disabled_at                timestamptz   NULL,
    created_at                 timestamptz   NOT NULL,
    updated_at                 timestamptz   NOT NULL,
    CONSTRAINT ck_webhook_endpoints_disabled CHECK (enabled OR disabled_at IS NOT NULL)
);

-- One row per (event, endpoint): the delivery's state; each attempt is a row of webhook_attempts.
-- Workers claim due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id      bigint      NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    event_id        bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    status          varchar(12) NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NULL,
    first_queued_at timestamptz NOT NULL,
    delivered_at    timestamptz NULL,
    CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT ck_webhook_deliveries_due CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_partner ON webhook_deliveries (partner_id, id DESC);

CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    partner_id  bigint      NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    attempt     integer     NOT NULL,
    status_code integer     NULL,
    error       text        NULL,
    duration_ms integer     NOT NULL,
    delivered   boolean     NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX ix_webhook_attempts_partner ON webhook_attempts (partner_id, id DESC);
CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts (delivery_id);
