-- The balance change and the deposit matching rules as database functions, so that applying a
-- deposit is one statement (one round trip) instead of about eight. They run in the caller's
-- transaction: a function call is never a transaction of its own beyond the one it is part of.

-- One change to a partner's balance: updates the balance row (taking its row lock, so concurrent
-- changes queue) only if the result stays >= 0, and appends the ledger row with the resulting
-- balance. Returns the new balance, or NULL when the change would go negative (nothing written).
-- The only writer of balances (BalanceLedger calls it too).
CREATE FUNCTION ledger_apply(
    p_partner_id bigint, p_type text, p_amount bigint, p_order_id bigint, p_tx_hash text,
    p_operator_ref text, p_description text, p_now timestamptz, p_deposit_id bigint)
RETURNS bigint LANGUAGE sql AS $$
    WITH updated AS (
        UPDATE partner_balances
           SET balance_nanoton = balance_nanoton + p_amount, updated_at = p_now
         WHERE partner_id = p_partner_id AND balance_nanoton + p_amount >= 0
     RETURNING balance_nanoton)
    INSERT INTO balance_ledger (partner_id, type, amount_nanoton, balance_after_nanoton, order_id, tx_hash, operator_ref, description, created_at, deposit_id)
    SELECT p_partner_id, p_type, p_amount, updated.balance_nanoton, p_order_id, p_tx_hash, p_operator_ref, p_description, p_now, p_deposit_id
      FROM updated
    RETURNING balance_after_nanoton
$$;

-- A credit that must succeed (a deposit's TON always lands somewhere).
CREATE FUNCTION ledger_credit_deposit(
    p_partner_id bigint, p_type text, p_amount bigint, p_order_id bigint, p_tx_hash text,
    p_description text, p_now timestamptz, p_deposit_id bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ledger_apply(p_partner_id, p_type, p_amount, p_order_id, p_tx_hash, NULL, p_description, p_now, p_deposit_id) IS NULL THEN
        RAISE EXCEPTION 'partner % has no balance account', p_partner_id USING ERRCODE = 'foreign_key_violation';
    END IF;
END;
$$;

-- Applies a stored deposit that is not applied yet (the matching rules of API.md), exactly once:
-- the deposit row is locked, and marked applied with where each nanoTON went.
--   p_address: the deposit address in our canonical (non-bounceable) form;
--   p_memo:    the comment normalised as a memo (PaymentMemo.Normalize), NULL when it is none.
-- Returns no row when the deposit is unknown or already applied; otherwise one row saying how it
-- was applied (and, for unmatched deposits, why).
CREATE FUNCTION apply_deposit(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_unmatched_nanoton bigint, r_amount_nanoton bigint, r_chain_time timestamptz, r_reason text)
LANGUAGE plpgsql AS $$
DECLARE
    v_deposit_id bigint;
    v_amount     bigint;
    v_chain_time timestamptz;
    v_purpose    text;
    v_partner_id bigint;
    v_order_id   bigint;
    v_status     text;
    v_price      bigint;
    v_paid       bigint;
    v_expires_at timestamptz;
BEGIN
    SELECT d.id, d.amount_nanoton, d.chain_time INTO v_deposit_id, v_amount, v_chain_time
      FROM deposits d WHERE d.tx_hash = p_tx_hash AND d.applied_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    r_amount_nanoton := v_amount;
    r_chain_time := v_chain_time;
    r_order_nanoton := 0;
    r_credited_nanoton := 0;
    r_unmatched_nanoton := 0;

    SELECT a.purpose, a.partner_id INTO v_purpose, v_partner_id FROM deposit_addresses a WHERE a.address = p_address;

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
        SELECT o.id, o.partner_id, o.status, o.price_nanoton, o.paid_nanoton, o.expires_at
          INTO v_order_id, v_partner_id, v_status, v_price, v_paid, v_expires_at
          FROM orders o WHERE o.payment_memo = p_memo FOR UPDATE;
        IF NOT FOUND THEN
            r_kind := 'unmatched';
            r_reason := 'memo matches no order';
        ELSE
            r_order_id := v_order_id;
            r_partner_id := v_partner_id;
            IF v_status <> 'pending_payment' OR v_chain_time >= v_expires_at THEN
                UPDATE orders SET late_paid_nanoton = late_paid_nanoton + v_amount, updated_at = p_now WHERE id = v_order_id;
                PERFORM ledger_credit_deposit(v_partner_id, 'late_payment', v_amount, v_order_id, p_tx_hash,
                    format('late payment for order %s (%s)', v_order_id, v_status), p_now, v_deposit_id);
                r_kind := 'late_payment';
                r_credited_nanoton := v_amount;
            ELSIF v_paid + v_amount < v_price THEN
                UPDATE orders SET paid_nanoton = v_paid + v_amount, updated_at = p_now WHERE id = v_order_id AND status = 'pending_payment';
                r_kind := 'partial_payment';
                r_order_nanoton := v_amount;
            ELSE
                UPDATE orders SET status = 'paid', paid_at = v_chain_time, paid_nanoton = price_nanoton, payment_tx_hash = p_tx_hash, updated_at = p_now
                 WHERE id = v_order_id AND status = 'pending_payment';
                r_order_nanoton := v_price - v_paid;
                IF v_paid + v_amount > v_price THEN
                    PERFORM ledger_credit_deposit(v_partner_id, 'overpayment', v_paid + v_amount - v_price, v_order_id, p_tx_hash,
                        format('overpayment of order %s', v_order_id), p_now, v_deposit_id);
                    r_kind := 'overpayment';
                    r_credited_nanoton := v_paid + v_amount - v_price;
                ELSE
                    r_kind := 'order_payment';
                END IF;
            END IF;
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
