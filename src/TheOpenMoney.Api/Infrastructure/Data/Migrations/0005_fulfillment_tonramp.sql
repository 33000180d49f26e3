-- Delivery through the supplier (a lease per claimed order, attempts, the supplier's reference) and
-- TonRamp payment links on orders.

ALTER TABLE orders
    ADD COLUMN delivery_attempts     integer      NOT NULL DEFAULT 0,
    ADD COLUMN delivery_lease_until  timestamptz  NULL,
    ADD COLUMN processing_at         timestamptz  NULL,
    ADD COLUMN supplier_reference    varchar(128) NULL,
    ADD COLUMN last_delivery_error   text         NULL,
    ADD COLUMN tonramp_payload       text         NULL,
    ADD COLUMN tonramp_deep_link     text         NULL,
    ADD COLUMN tonramp_telegram_link text         NULL,
    ADD COLUMN tonramp_status        varchar(16)  NULL,
    ADD COLUMN tonramp_checked_at    timestamptz  NULL,
    ADD CONSTRAINT ck_orders_delivery_attempts CHECK (delivery_attempts >= 0),
    ADD CONSTRAINT ck_orders_completed_has_reference CHECK (status <> 'completed' OR supplier_reference IS NOT NULL);

-- Work queue of the fulfillment worker: paid orders, and processing orders whose lease ran out.
CREATE INDEX ix_orders_fulfillment ON orders (delivery_lease_until NULLS FIRST, id) WHERE status IN ('paid', 'processing');
-- Open TonRamp orders whose status is refreshed in the background.
CREATE INDEX ix_orders_tonramp_open ON orders (tonramp_checked_at NULLS FIRST, id) WHERE payment_method = 'tonramp' AND status = 'pending_payment';
