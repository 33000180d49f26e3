-- Test mode (issue 25): osk_test_ keys and simulated money. A partner's test data belongs to its test twin,
-- a second partners row (livemode = false) that points at the live one. Every table is already scoped by
-- partner_id, so a test key sees only the twin's orders, balance, ledger, events, webhook endpoint,
-- deliveries and idempotency records, and a live key never sees them: isolation is the partner_id scoping
-- that exists, not filters added here and there. What this migration adds is the mode itself, carried by
-- composite foreign keys (partner_id, livemode) so a row can never claim another mode than its partner's,
-- and the guards that keep simulated money and real money apart:
--   * a deposit's mode comes from how it arrived (received_via 'sandbox' is test, anything else live), and
--     it is matched only to addresses and orders of its own mode: real TON can never pay a test order or
--     credit a test balance, and a simulated deposit can never touch a live one;
--   * a test withdrawal is never asked of the processor: never pending or sent (the engine's queue), no processor
--     id, no processor call, ever; the sandbox settles it straight from awaiting_confirmation.

ALTER TABLE partners
    ADD COLUMN livemode        boolean NOT NULL DEFAULT true,
    ADD COLUMN live_partner_id bigint  NULL REFERENCES partners (id) ON DELETE RESTRICT,
    ADD CONSTRAINT ck_partners_test_twin CHECK (livemode = (live_partner_id IS NULL)),
    ADD CONSTRAINT ux_partners_id_livemode UNIQUE (id, livemode);
-- One test twin per live partner; the twin keeps the live partner's Telegram user (for the bot's messages),
-- so the Telegram user is unique among live partners only.
CREATE UNIQUE INDEX ux_partners_test_twin ON partners (live_partner_id) WHERE live_partner_id IS NOT NULL;
ALTER TABLE partners DROP CONSTRAINT ux_partners_telegram_user_id;
CREATE UNIQUE INDEX ux_partners_telegram_user_id ON partners (telegram_user_id) WHERE livemode;

-- A key's mode is its partner's, and its prefix says it: osk_test_… exactly for test keys.
ALTER TABLE api_keys
    ADD COLUMN livemode boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT fk_api_keys_partner_mode FOREIGN KEY (partner_id, livemode) REFERENCES partners (id, livemode),
    ADD CONSTRAINT ck_api_keys_prefix_mode CHECK ((prefix LIKE 'osk\_test\_%') = NOT livemode);

ALTER TABLE orders
    ADD COLUMN livemode boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT fk_orders_partner_mode FOREIGN KEY (partner_id, livemode) REFERENCES partners (id, livemode);
CREATE INDEX ix_orders_test_pending_expires ON orders (expires_at) WHERE status = 'pending_payment' AND NOT livemode;

-- Sandbox addresses (testnet form, never generated at the processor) sit beside the processor's: one test
-- orders address and one test top-up address per test twin.
ALTER TABLE deposit_addresses
    ADD COLUMN livemode boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT fk_deposit_addresses_partner_mode FOREIGN KEY (partner_id, livemode) REFERENCES partners (id, livemode),
    ADD CONSTRAINT ck_deposit_addresses_sandbox CHECK (livemode = (processor_user_id <> 'sandbox'));
DROP INDEX ux_deposit_addresses_orders;
CREATE UNIQUE INDEX ux_deposit_addresses_orders ON deposit_addresses (livemode) WHERE purpose = 'orders';

ALTER TABLE deposits DROP CONSTRAINT ck_deposits_received_via;
ALTER TABLE deposits ADD CONSTRAINT ck_deposits_received_via CHECK (received_via IN ('poll', 'webhook', 'sandbox'));
ALTER TABLE deposits ADD COLUMN livemode boolean GENERATED ALWAYS AS (received_via <> 'sandbox') STORED;
ALTER TABLE quarantined_deposits DROP CONSTRAINT ck_quarantined_deposits_received_via;
ALTER TABLE quarantined_deposits ADD CONSTRAINT ck_quarantined_deposits_received_via CHECK (received_via IN ('poll', 'webhook', 'stored', 'hint', 'sandbox'));

ALTER TABLE withdrawals
    ADD COLUMN livemode boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT fk_withdrawals_partner_mode FOREIGN KEY (partner_id, livemode) REFERENCES partners (id, livemode),
    ADD CONSTRAINT ck_withdrawals_test_never_sent CHECK (livemode OR (kind = 'partner' AND status NOT IN ('pending', 'sent')
                                                                      AND processor_id IS NULL AND NOT processor_id_unknown AND processor_calls = 0));
ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_sent;
ALTER TABLE withdrawals ADD CONSTRAINT ck_withdrawals_sent CHECK (
    status NOT IN ('sent', 'completed') OR processor_id IS NOT NULL OR processor_id_unknown OR NOT livemode);

-- The order part of a deposit (0012), now only among orders of the deposit's mode.
CREATE OR REPLACE FUNCTION order_receive_payment(
    p_memo text, p_amount bigint, p_chain_time timestamptz, p_tx_hash text, p_now timestamptz, p_deposit_id bigint)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_status_before text, r_status_after text)
LANGUAGE plpgsql AS $$
DECLARE
    v_status     text;
    v_price      bigint;
    v_paid       bigint;
    v_expires_at timestamptz;
BEGIN
    SELECT o.id, o.partner_id, o.status, o.price_nanoton, o.paid_nanoton, o.expires_at
      INTO r_order_id, r_partner_id, v_status, v_price, v_paid, v_expires_at
      FROM orders o
     WHERE o.payment_memo = p_memo AND o.livemode = (SELECT d.livemode FROM deposits d WHERE d.id = p_deposit_id)
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    r_status_before := v_status;
    r_status_after := v_status;
    r_order_nanoton := 0;
    r_credited_nanoton := 0;

    IF v_status <> 'pending_payment' OR p_chain_time >= v_expires_at THEN
        UPDATE orders SET late_paid_nanoton = late_paid_nanoton + p_amount, updated_at = p_now WHERE id = r_order_id;
        PERFORM ledger_credit_deposit(r_partner_id, 'late_payment', p_amount, r_order_id, p_tx_hash,
            format('late payment for order %s (%s)', r_order_id, v_status), p_now, p_deposit_id);
        r_kind := 'late_payment';
        r_credited_nanoton := p_amount;
    ELSIF v_paid + p_amount < v_price THEN
        UPDATE orders SET paid_nanoton = v_paid + p_amount, updated_at = p_now WHERE id = r_order_id AND status = 'pending_payment';
        r_kind := 'partial_payment';
        r_order_nanoton := p_amount;
    ELSE
        UPDATE orders SET status = 'paid', paid_at = p_chain_time, paid_nanoton = price_nanoton, payment_tx_hash = p_tx_hash, updated_at = p_now
         WHERE id = r_order_id AND status = 'pending_payment';
        r_status_after := 'paid';
        r_order_nanoton := v_price - v_paid;
        IF v_paid + p_amount > v_price THEN
            PERFORM ledger_credit_deposit(r_partner_id, 'overpayment', v_paid + p_amount - v_price, r_order_id, p_tx_hash,
                format('overpayment of order %s', r_order_id), p_now, p_deposit_id);
            r_kind := 'overpayment';
            r_credited_nanoton := v_paid + p_amount - v_price;
        ELSE
            r_kind := 'order_payment';
        END IF;
    END IF;
    RETURN NEXT;
END;
$$;

-- Where a deposit goes (0012), now only to an address of the deposit's mode.
CREATE OR REPLACE FUNCTION apply_deposit_matching(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_unmatched_nanoton bigint, r_amount_nanoton bigint, r_chain_time timestamptz, r_reason text,
               r_order_status_before text, r_order_status_after text)
LANGUAGE plpgsql AS $$
DECLARE
    v_deposit_id bigint;
    v_amount     bigint;
    v_chain_time timestamptz;
    v_livemode   boolean;
    v_purpose    text;
    v_partner_id bigint;
    v_paying     record;
BEGIN
    SELECT d.id, d.amount_nanoton, d.chain_time, d.livemode INTO v_deposit_id, v_amount, v_chain_time, v_livemode
      FROM deposits d WHERE d.tx_hash = p_tx_hash AND d.applied_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    r_amount_nanoton := v_amount;
    r_chain_time := v_chain_time;
    r_order_nanoton := 0;
    r_credited_nanoton := 0;
    r_unmatched_nanoton := 0;

    SELECT a.purpose, a.partner_id INTO v_purpose, v_partner_id FROM deposit_addresses a
     WHERE a.address = p_address AND a.livemode = v_livemode;

    IF v_purpose = 'topup' THEN
        PERFORM ledger_credit_deposit(v_partner_id, 'topup', v_amount, NULL, p_tx_hash, 'top-up ' || left(p_tx_hash, 12), p_now, v_deposit_id);
        r_kind := 'topup';
        r_partner_id := v_partner_id;
        r_credited_nanoton := v_amount;
    ELSIF v_purpose IS DISTINCT FROM 'orders' THEN
        r_kind := 'unmatched';
        r_reason := 'not one of our deposit addresses';
    ELSIF p_memo IS NULL THEN
        r_kind := 'unmatched';
        r_reason := 'no memo in the comment';
    ELSE
        SELECT * INTO v_paying FROM order_receive_payment(p_memo, v_amount, v_chain_time, p_tx_hash, p_now, v_deposit_id);
        IF v_paying.r_kind IS NULL THEN
            r_kind := 'unmatched';
            r_reason := 'memo matches no order';
        ELSE
            r_kind := v_paying.r_kind;
            r_order_id := v_paying.r_order_id;
            r_partner_id := v_paying.r_partner_id;
            r_order_nanoton := v_paying.r_order_nanoton;
            r_credited_nanoton := v_paying.r_credited_nanoton;
            r_order_status_before := v_paying.r_status_before;
            r_order_status_after := v_paying.r_status_after;
        END IF;
    END IF;

    IF r_kind = 'unmatched' THEN
        r_unmatched_nanoton := v_amount;
    END IF;

    UPDATE deposits
       SET kind = r_kind, order_id = r_order_id, partner_id = r_partner_id, order_nanoton = r_order_nanoton,
           credited_nanoton = r_credited_nanoton, unmatched_nanoton = r_unmatched_nanoton, applied_at = p_now
     WHERE id = v_deposit_id;
    RETURN NEXT;
END;
$$;

-- An operator's assignment (0013), refused across modes: real TON is never assigned to a test order.
CREATE OR REPLACE FUNCTION assign_unmatched_deposit(p_tx_hash text, p_order_id bigint, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_status_before text, r_order_status_after text, r_refused text)
LANGUAGE plpgsql AS $$
DECLARE
    v_deposit deposits%ROWTYPE;
    v_memo    text;
    v_paying  record;
BEGIN
    SELECT * INTO v_deposit FROM deposits WHERE tx_hash = p_tx_hash FOR UPDATE;
    IF NOT FOUND THEN
        r_refused := 'no deposit with that tx_hash';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_deposit.kind IS DISTINCT FROM 'unmatched' OR v_deposit.decision IN ('keep', 'assigned', 'refunding', 'refunded') THEN
        r_refused := format('the deposit is %s%s, not an undecided unmatched one', coalesce(v_deposit.kind, 'not applied'),
                            coalesce(' (' || v_deposit.decision || ')', ''));
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT payment_memo INTO v_memo FROM orders WHERE id = p_order_id AND livemode = v_deposit.livemode;
    IF NOT FOUND THEN
        r_refused := CASE WHEN EXISTS (SELECT 1 FROM orders WHERE id = p_order_id)
                          THEN 'that order is in the other mode (live money never pays a test order, nor the reverse)'
                          ELSE 'no order with that id' END;
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT * INTO v_paying FROM order_receive_payment(v_memo, v_deposit.amount_nanoton, v_deposit.chain_time, p_tx_hash, p_now, v_deposit.id);
    UPDATE deposits
       SET kind = v_paying.r_kind, order_id = v_paying.r_order_id, partner_id = v_paying.r_partner_id,
           order_nanoton = v_paying.r_order_nanoton, credited_nanoton = v_paying.r_credited_nanoton, unmatched_nanoton = 0,
           decision = 'assigned', decided_at = p_now
     WHERE id = v_deposit.id;
    r_kind := v_paying.r_kind;
    r_order_status_before := v_paying.r_status_before;
    r_order_status_after := v_paying.r_status_after;
    RETURN NEXT;
END;
$$;
