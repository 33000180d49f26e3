-- Payment tracking: deposit addresses provisioned at the processor, every deposit seen (once per
-- tx_hash) with where its TON went, and a history cursor per processor user_id.

CREATE TABLE deposit_addresses (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose           varchar(16) NOT NULL,
    partner_id        bigint      NULL REFERENCES partners (id) ON DELETE RESTRICT,
    processor_user_id varchar(64) NOT NULL,
    address           varchar(64) NOT NULL,
    created_at        timestamptz NOT NULL,
    CONSTRAINT ux_deposit_addresses_address UNIQUE (address),
    CONSTRAINT ck_deposit_addresses_purpose CHECK (
        (purpose = 'orders' AND partner_id IS NULL) OR (purpose = 'topup' AND partner_id IS NOT NULL))
);
-- One orders address, one top-up address per partner: never provisioned twice.
CREATE UNIQUE INDEX ux_deposit_addresses_orders ON deposit_addresses (purpose) WHERE purpose = 'orders';
CREATE UNIQUE INDEX ux_deposit_addresses_topup ON deposit_addresses (partner_id) WHERE purpose = 'topup';

CREATE TABLE deposits (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_hash           varchar(128) NOT NULL,
    processor_user_id varchar(64)  NOT NULL,
    deposit_address   varchar(64)  NOT NULL,
    source_address    varchar(64)  NULL,
    amount_nanoton    bigint       NOT NULL,
    comment           text         NULL,
    chain_time        timestamptz  NOT NULL,
    received_via      varchar(8)   NOT NULL,
    received_at       timestamptz  NOT NULL,
    kind              varchar(20)  NULL,
    order_id          bigint       NULL REFERENCES orders (id) ON DELETE RESTRICT,
    partner_id        bigint       NULL REFERENCES partners (id) ON DELETE RESTRICT,
    order_nanoton     bigint       NOT NULL DEFAULT 0,
    credited_nanoton  bigint       NOT NULL DEFAULT 0,
    unmatched_nanoton bigint       NOT NULL DEFAULT 0,
    applied_at        timestamptz  NULL,
    CONSTRAINT ux_deposits_tx_hash UNIQUE (tx_hash),
    CONSTRAINT ck_deposits_amount CHECK (amount_nanoton > 0),
    CONSTRAINT ck_deposits_received_via CHECK (received_via IN ('poll', 'webhook')),
    CONSTRAINT ck_deposits_kind CHECK (kind IS NULL OR kind IN ('order_payment', 'partial_payment', 'overpayment', 'late_payment', 'topup', 'unmatched')),
    -- Once applied, every nanoTON of the deposit is in exactly one place.
    CONSTRAINT ck_deposits_split CHECK (
        (applied_at IS NULL AND kind IS NULL AND order_nanoton = 0 AND credited_nanoton = 0 AND unmatched_nanoton = 0) OR
        (applied_at IS NOT NULL AND kind IS NOT NULL AND order_nanoton >= 0 AND credited_nanoton >= 0 AND unmatched_nanoton >= 0
         AND order_nanoton + credited_nanoton + unmatched_nanoton = amount_nanoton))
);
CREATE INDEX ix_deposits_unapplied ON deposits (id) WHERE applied_at IS NULL;
CREATE INDEX ix_deposits_order ON deposits (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX ix_deposits_unmatched ON deposits (id) WHERE kind = 'unmatched';

CREATE TABLE processor_cursors (
    processor_user_id varchar(64) PRIMARY KEY,
    next_offset       bigint      NOT NULL DEFAULT 0,
    synced_to         timestamptz NULL,
    last_success_at   timestamptz NULL,
    last_full_scan_at timestamptz NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT ck_processor_cursors_offset CHECK (next_offset >= 0)
);

-- TON for an order that went to the partner's balance instead (late payments).
ALTER TABLE orders ADD COLUMN late_paid_nanoton bigint NOT NULL DEFAULT 0;
ALTER TABLE orders ADD CONSTRAINT ck_orders_late_paid CHECK (late_paid_nanoton >= 0);

ALTER TABLE balance_ledger ADD COLUMN deposit_id bigint NULL REFERENCES deposits (id) ON DELETE RESTRICT;
-- A deposit credits the balance at most once.
CREATE UNIQUE INDEX ux_balance_ledger_deposit ON balance_ledger (deposit_id) WHERE deposit_id IS NOT NULL;
-- An order's short payment is credited back at most once (on expiry or cancellation).
CREATE UNIQUE INDEX ux_balance_ledger_underpayment ON balance_ledger (order_id) WHERE type = 'underpayment';
