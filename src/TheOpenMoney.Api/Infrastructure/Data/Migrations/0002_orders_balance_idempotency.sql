-- Orders, the partner balance with its append-only ledger, and idempotency records.

CREATE TABLE orders (
    id                 bigint GENERATED ALWAYS AS IDENTITY (START WITH 10001) PRIMARY KEY,
    partner_id         bigint         NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    status             varchar(20)    NOT NULL,
    order_type         varchar(10)    NOT NULL,
    stars_amount       integer        NULL,
    premium_months     integer        NULL,
    recipient_username varchar(32)    NOT NULL,
    recipient_check    varchar(16)    NOT NULL,
    price_nanoton      bigint         NOT NULL,
    price_usd          numeric(20, 6) NOT NULL,
    fee_percent        numeric(7, 4)  NOT NULL,
    ton_usd_rate       numeric(20, 9) NOT NULL,
    rate_source        varchar(64)    NOT NULL,
    payment_method     varchar(16)    NOT NULL,
    payment_currency   varchar(8)     NOT NULL,
    payment_address    varchar(64)    NULL,
    payment_memo       varchar(32)    NOT NULL,
    client_reference   varchar(128)   NULL,
    expires_at         timestamptz    NOT NULL,
    created_at         timestamptz    NOT NULL,
    updated_at         timestamptz    NOT NULL,
    paid_at            timestamptz    NULL,
    completed_at       timestamptz    NULL,
    cancelled_at       timestamptz    NULL,
    expired_at         timestamptz    NULL,
    failed_at          timestamptz    NULL,
    paid_nanoton       bigint         NOT NULL DEFAULT 0,
    payment_tx_hash    varchar(128)   NULL,
    failure_reason     text           NULL,
    refunded_nanoton   bigint         NOT NULL DEFAULT 0,
    CONSTRAINT ux_orders_payment_memo UNIQUE (payment_memo),
    CONSTRAINT ck_orders_status CHECK (status IN ('pending_payment', 'paid', 'processing', 'completed', 'expired', 'cancelled', 'failed')),
    CONSTRAINT ck_orders_order_type CHECK (order_type IN ('stars', 'premium')),
    CONSTRAINT ck_orders_product CHECK (
        (order_type = 'stars' AND stars_amount > 0 AND premium_months IS NULL) OR
        (order_type = 'premium' AND premium_months IN (3, 6, 12) AND stars_amount IS NULL)),
    CONSTRAINT ck_orders_recipient_check CHECK (recipient_check IN ('ELIGIBLE', 'UNKNOWN')),
    CONSTRAINT ck_orders_payment_method CHECK (payment_method IN ('ton_memo', 'balance', 'tonramp')),
    CONSTRAINT ck_orders_payment_currency CHECK (payment_currency = 'TON'),
    CONSTRAINT ck_orders_payment_address CHECK (payment_method = 'balance' OR payment_address IS NOT NULL),
    CONSTRAINT ck_orders_amounts CHECK (price_nanoton > 0 AND price_usd > 0 AND ton_usd_rate > 0 AND fee_percent >= 0
                                        AND paid_nanoton >= 0 AND refunded_nanoton >= 0),
    CONSTRAINT ck_orders_paid_has_time CHECK (status IN ('pending_payment', 'expired', 'cancelled') OR paid_at IS NOT NULL)
);

CREATE INDEX ix_orders_partner_created ON orders (partner_id, created_at DESC, id DESC);
CREATE INDEX ix_orders_partner_reference ON orders (partner_id, client_reference, created_at DESC) WHERE client_reference IS NOT NULL;
CREATE INDEX ix_orders_pending_expires ON orders (expires_at) WHERE status = 'pending_payment';
CREATE INDEX ix_orders_paid ON orders (paid_at) WHERE status = 'paid';

CREATE TABLE partner_balances (
    partner_id      bigint      PRIMARY KEY REFERENCES partners (id) ON DELETE RESTRICT,
    balance_nanoton bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT ck_partner_balances_not_negative CHECK (balance_nanoton >= 0)
);

CREATE TABLE balance_ledger (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id            bigint       NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    type                  varchar(20)  NOT NULL,
    amount_nanoton        bigint       NOT NULL,
    balance_after_nanoton bigint       NOT NULL,
    order_id              bigint       NULL REFERENCES orders (id) ON DELETE RESTRICT,
    tx_hash               varchar(128) NULL,
    operator_ref          varchar(64)  NULL,
    description           text         NULL,
    created_at            timestamptz  NOT NULL,
    CONSTRAINT ck_balance_ledger_type CHECK (type IN ('topup', 'order_payment', 'refund', 'overpayment', 'underpayment', 'late_payment', 'adjustment')),
    CONSTRAINT ck_balance_ledger_amount CHECK (amount_nanoton <> 0),
    CONSTRAINT ck_balance_ledger_sign CHECK (
        (type = 'order_payment' AND amount_nanoton < 0) OR
        (type IN ('topup', 'refund', 'overpayment', 'underpayment', 'late_payment') AND amount_nanoton > 0) OR
        type = 'adjustment'),
    CONSTRAINT ck_balance_ledger_balance_after CHECK (balance_after_nanoton >= 0)
);

CREATE INDEX ix_balance_ledger_partner ON balance_ledger (partner_id, id DESC);
-- An order is paid from the balance at most once and refunded at most once.
CREATE UNIQUE INDEX ux_balance_ledger_order_payment ON balance_ledger (order_id) WHERE type = 'order_payment';
CREATE UNIQUE INDEX ux_balance_ledger_refund ON balance_ledger (order_id) WHERE type = 'refund';
-- An operator adjustment with a reference is applied once.
CREATE UNIQUE INDEX ux_balance_ledger_operator_ref ON balance_ledger (partner_id, operator_ref) WHERE operator_ref IS NOT NULL;

-- The ledger is append-only: rows can be added, never changed or removed.
CREATE FUNCTION balance_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'balance_ledger is append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER trg_balance_ledger_append_only
    BEFORE UPDATE OR DELETE ON balance_ledger
    FOR EACH ROW EXECUTE FUNCTION balance_ledger_append_only();
CREATE TRIGGER trg_balance_ledger_no_truncate
    BEFORE TRUNCATE ON balance_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION balance_ledger_append_only();

-- Every existing partner has a balance row.
INSERT INTO partner_balances (partner_id, balance_nanoton, updated_at)
SELECT id, 0, now() FROM partners;

CREATE TABLE idempotency_records (
    partner_id      bigint       NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    idempotency_key varchar(255) NOT NULL,
    request_method  varchar(8)   NOT NULL,
    request_path    varchar(512) NOT NULL,
    request_hash    bytea        NOT NULL,
    response_status integer      NOT NULL,
    response_body   bytea        NOT NULL,
    created_at      timestamptz  NOT NULL,
    expires_at      timestamptz  NOT NULL,
    CONSTRAINT pk_idempotency_records PRIMARY KEY (partner_id, idempotency_key),
    CONSTRAINT ck_idempotency_records_status CHECK (response_status BETWEEN 200 AND 299)
);

CREATE INDEX ix_idempotency_records_expires ON idempotency_records (expires_at);
