-- USDT on TON (issue 27): orders priced and paid in USDT, balances per currency, deposits that carry their currency.
--
-- Every money column keeps its bigint of base units; what the units count is the row's currency, stated beside
-- them (the way a Stripe amount sits beside its currency):
--   orders:           price_nanoton, paid_nanoton, refunded_nanoton, late_paid_nanoton count payment_currency
--   deposits:         every *_nanoton counts currency
--   partner_balances: one row per (partner, currency); balance_nanoton counts currency
--   balance_ledger:   amount_nanoton and balance_after_nanoton count currency
-- The names predate USDT and stay (renaming every column and every statement that reads them is churn with no
-- behaviour); for TON rows nothing changes. Money moves only within one currency: every function below matches a
-- deposit, an order and a balance of the same currency, and a deposit in another currency than its order's is
-- credited to the partner's balance in the currency it came in, never applied to the order.

ALTER TABLE orders DROP CONSTRAINT ck_orders_payment_currency;
ALTER TABLE orders ADD CONSTRAINT ck_orders_payment_currency CHECK (payment_currency IN ('TON', 'USDT'));
-- A USDT order's price in TON at the rate it was quoted with (what price_ton shows; informational, never due).
ALTER TABLE orders ADD COLUMN ton_quote_nanoton bigint NULL;
ALTER TABLE orders ADD CONSTRAINT ck_orders_ton_quote CHECK (
    (payment_currency = 'TON') = (ton_quote_nanoton IS NULL) AND (ton_quote_nanoton IS NULL OR ton_quote_nanoton > 0));
-- The jetton master a USDT order is paid in, locked at creation like its price (its payment link names it).
ALTER TABLE orders ADD COLUMN payment_jetton varchar(64) NULL;
ALTER TABLE orders ADD CONSTRAINT ck_orders_payment_jetton CHECK ((payment_currency = 'TON') = (payment_jetton IS NULL));
-- TonRamp sells TON: its orders are TON orders.
ALTER TABLE orders ADD CONSTRAINT ck_orders_tonramp_currency CHECK (payment_method <> 'tonramp' OR payment_currency = 'TON');
COMMENT ON COLUMN orders.price_nanoton IS 'price in base units of payment_currency (nanoTON for TON, 10^-6 for USDT)';

ALTER TABLE partner_balances ADD COLUMN currency varchar(8) NOT NULL DEFAULT 'TON';
ALTER TABLE partner_balances ADD CONSTRAINT ck_partner_balances_currency CHECK (currency IN ('TON', 'USDT'));
ALTER TABLE partner_balances DROP CONSTRAINT partner_balances_pkey;
ALTER TABLE partner_balances ADD CONSTRAINT partner_balances_pkey PRIMARY KEY (partner_id, currency);

ALTER TABLE balance_ledger ADD COLUMN currency varchar(8) NOT NULL DEFAULT 'TON';
ALTER TABLE balance_ledger ADD CONSTRAINT ck_balance_ledger_currency CHECK (currency IN ('TON', 'USDT'));
DROP INDEX ix_balance_ledger_partner;
CREATE INDEX ix_balance_ledger_partner ON balance_ledger (partner_id, id DESC) INCLUDE (currency);

ALTER TABLE deposits ADD COLUMN currency varchar(8) NOT NULL DEFAULT 'TON';
ALTER TABLE deposits ADD CONSTRAINT ck_deposits_currency CHECK (currency IN ('TON', 'USDT'));
ALTER TABLE quarantined_deposits ADD COLUMN currency varchar(8) NULL;

-- Addresses belong to a currency: the processor generates a jetton's deposit address apart from TON's.
ALTER TABLE deposit_addresses ADD COLUMN currency varchar(8) NOT NULL DEFAULT 'TON';
ALTER TABLE deposit_addresses ADD CONSTRAINT ck_deposit_addresses_currency CHECK (currency IN ('TON', 'USDT'));
DROP INDEX ux_deposit_addresses_orders;
CREATE UNIQUE INDEX ux_deposit_addresses_orders ON deposit_addresses (livemode, currency) WHERE purpose = 'orders';
DROP INDEX ux_deposit_addresses_topup;
CREATE UNIQUE INDEX ux_deposit_addresses_topup ON deposit_addresses (partner_id, currency) WHERE purpose = 'topup';

-- Refunds and withdrawals send TON from the hot wallet: a deposit in another currency is never refunded by them
-- (its base units are not nanoTON). Held here, whatever the engine's queries say.
CREATE FUNCTION withdrawals_refund_ton_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'refund' AND EXISTS (SELECT 1 FROM deposits d WHERE d.id = NEW.deposit_id AND d.currency <> 'TON') THEN
        RAISE EXCEPTION 'deposit % is not in TON: refunds send TON only', NEW.deposit_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_withdrawals_refund_ton_only BEFORE INSERT ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION withdrawals_refund_ton_only();

-- One change to a partner's balance in one currency (0013 plus p_currency). A credit in a currency the partner has
-- no balance row for yet opens it at zero first; a debit from one it does not have fails like any overdraft.
DROP FUNCTION ledger_apply(bigint, text, bigint, bigint, text, text, text, timestamptz, bigint, bigint);
CREATE FUNCTION ledger_apply(
    p_partner_id bigint, p_type text, p_amount bigint, p_order_id bigint, p_tx_hash text,
    p_operator_ref text, p_description text, p_now timestamptz, p_deposit_id bigint, p_withdrawal_id bigint DEFAULT NULL,
    p_currency text DEFAULT 'TON')
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO partner_balances (partner_id, currency, balance_nanoton, updated_at)
    SELECT p_partner_id, p_currency, 0, p_now WHERE p_currency <> 'TON' AND p_amount > 0
    ON CONFLICT (partner_id, currency) DO NOTHING;

    WITH updated AS (
        UPDATE partner_balances
           SET balance_nanoton = balance_nanoton + p_amount, updated_at = p_now
         WHERE partner_id = p_partner_id AND currency = p_currency AND balance_nanoton + p_amount >= 0
     RETURNING balance_nanoton)
    INSERT INTO balance_ledger (partner_id, type, amount_nanoton, balance_after_nanoton, order_id, tx_hash, operator_ref, description,
                                created_at, deposit_id, withdrawal_id, currency)
    SELECT p_partner_id, p_type, p_amount, updated.balance_nanoton, p_order_id, p_tx_hash, p_operator_ref, p_description,
           p_now, p_deposit_id, p_withdrawal_id, p_currency
      FROM updated
    RETURNING balance_after_nanoton
$$;

DROP FUNCTION ledger_credit_deposit(bigint, text, bigint, bigint, text, text, timestamptz, bigint);
CREATE FUNCTION ledger_credit_deposit(
    p_partner_id bigint, p_type text, p_amount bigint, p_order_id bigint, p_tx_hash text,
    p_description text, p_now timestamptz, p_deposit_id bigint, p_currency text DEFAULT 'TON')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ledger_apply(p_partner_id, p_type, p_amount, p_order_id, p_tx_hash, NULL, p_description, p_now, p_deposit_id, NULL, p_currency) IS NULL THEN
        RAISE EXCEPTION 'partner % has no balance account', p_partner_id USING ERRCODE = 'foreign_key_violation';
    END IF;
END;
$$;

-- The order part of a deposit (0014), now within one currency: a deposit in the order's currency follows the order's
-- rules as before; one in another currency is credited to the order's partner in the currency it came in
-- (late_payment, with the reason), and the order is left as it was.
DROP FUNCTION order_receive_payment(text, bigint, timestamptz, text, timestamptz, bigint);
CREATE FUNCTION order_receive_payment(
    p_memo text, p_amount bigint, p_chain_time timestamptz, p_tx_hash text, p_now timestamptz, p_deposit_id bigint)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_status_before text, r_status_after text, r_reason text)
LANGUAGE plpgsql AS $$
DECLARE
    v_status     text;
    v_price      bigint;
    v_paid       bigint;
    v_expires_at timestamptz;
    v_order_cur  text;
    v_livemode   boolean;
    v_currency   text;
BEGIN
    SELECT d.livemode, d.currency INTO v_livemode, v_currency FROM deposits d WHERE d.id = p_deposit_id;
    SELECT o.id, o.partner_id, o.status, o.price_nanoton, o.paid_nanoton, o.expires_at, o.payment_currency
      INTO r_order_id, r_partner_id, v_status, v_price, v_paid, v_expires_at, v_order_cur
      FROM orders o
     WHERE o.payment_memo = p_memo AND o.livemode = v_livemode
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    r_status_before := v_status;
    r_status_after := v_status;
    r_order_nanoton := 0;
    r_credited_nanoton := 0;

    IF v_order_cur <> v_currency THEN
        r_reason := format('paid in %s; order %s is priced in %s', v_currency, r_order_id, v_order_cur);
        PERFORM ledger_credit_deposit(r_partner_id, 'late_payment', p_amount, r_order_id, p_tx_hash,
            format('%s payment for order %s, priced in %s: credited in %s', v_currency, r_order_id, v_order_cur, v_currency),
            p_now, p_deposit_id, v_currency);
        r_kind := 'late_payment';
        r_credited_nanoton := p_amount;
    ELSIF v_status <> 'pending_payment' OR p_chain_time >= v_expires_at THEN
        UPDATE orders SET late_paid_nanoton = late_paid_nanoton + p_amount, updated_at = p_now WHERE id = r_order_id;
        PERFORM ledger_credit_deposit(r_partner_id, 'late_payment', p_amount, r_order_id, p_tx_hash,
            format('late payment for order %s (%s)', r_order_id, v_status), p_now, p_deposit_id, v_currency);
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
                format('overpayment of order %s', r_order_id), p_now, p_deposit_id, v_currency);
            r_kind := 'overpayment';
            r_credited_nanoton := v_paid + p_amount - v_price;
        ELSE
            r_kind := 'order_payment';
        END IF;
    END IF;
    RETURN NEXT;
END;
$$;

-- Where a deposit goes (0014), within its currency: a top-up address credits the balance in the deposit's currency;
-- an address of another currency than the deposit's takes nothing (unmatched, with the reason).
CREATE OR REPLACE FUNCTION apply_deposit_matching(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_unmatched_nanoton bigint, r_amount_nanoton bigint, r_chain_time timestamptz, r_reason text,
               r_order_status_before text, r_order_status_after text)
LANGUAGE plpgsql AS $$
DECLARE
    v_deposit_id  bigint;
    v_amount      bigint;
    v_chain_time  timestamptz;
    v_livemode    boolean;
    v_currency    text;
    v_purpose     text;
    v_partner_id  bigint;
    v_address_cur text;
    v_paying      record;
BEGIN
    SELECT d.id, d.amount_nanoton, d.chain_time, d.livemode, d.currency INTO v_deposit_id, v_amount, v_chain_time, v_livemode, v_currency
      FROM deposits d WHERE d.tx_hash = p_tx_hash AND d.applied_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    r_amount_nanoton := v_amount;
    r_chain_time := v_chain_time;
    r_order_nanoton := 0;
    r_credited_nanoton := 0;
    r_unmatched_nanoton := 0;

    SELECT a.purpose, a.partner_id, a.currency INTO v_purpose, v_partner_id, v_address_cur FROM deposit_addresses a
     WHERE a.address = p_address AND a.livemode = v_livemode;

    IF v_purpose IS NOT NULL AND v_address_cur <> v_currency THEN
        r_kind := 'unmatched';
        r_reason := format('a %s deposit to our %s address', v_currency, v_address_cur);
    ELSIF v_purpose = 'topup' THEN
        PERFORM ledger_credit_deposit(v_partner_id, 'topup', v_amount, NULL, p_tx_hash, 'top-up ' || left(p_tx_hash, 12), p_now, v_deposit_id, v_currency);
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
            r_reason := v_paying.r_reason;
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
