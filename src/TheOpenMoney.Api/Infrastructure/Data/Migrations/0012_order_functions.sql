-- The order moves made in SQL, in one function named for orders (issue 23). Orders/OrderMachine.cs lists
-- every move of the order state machine; OrderLifecycle (C#) makes the rest. order_receive_payment is the
-- only SQL that writes orders (OrderWritesTests holds every function in the database to that), and the
-- statuses it reads and writes are held to OrderMachine by OrderMachineTests.
--
-- It was inside apply_deposit_matching (0006, wrapped by 0007): that function now only decides where a
-- deposit goes (a top-up address, the orders address with a memo, or nowhere: unmatched) and asks this one
-- for the order part. Both now also say which status change, if any, the deposit made (before → after),
-- so metrics count the move itself instead of re-deriving it from a "kind".

-- A deposit whose comment is the memo of an order (OrderMachine: ReceivePart, Pay, ReceiveLate):
--   pending_payment, dated before expires_at, still short        → stays pending_payment, paid_nanoton grows
--   pending_payment, dated before expires_at, reaches the price  → paid (any excess credited: overpayment)
--   any other status, or dated at/after expires_at               → status unchanged, credited: late_payment
-- The order row is locked first. No row when the memo is no order's.
CREATE FUNCTION order_receive_payment(
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
      FROM orders o WHERE o.payment_memo = p_memo FOR UPDATE;
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

-- Where a deposit goes; the order part is order_receive_payment's. Same rules and results as 0006, plus
-- the order's status before and after (NULL when no order was involved).
DROP FUNCTION apply_deposit(text, text, text, timestamptz);
DROP FUNCTION apply_deposit_matching(text, text, text, timestamptz);

CREATE FUNCTION apply_deposit_matching(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_unmatched_nanoton bigint, r_amount_nanoton bigint, r_chain_time timestamptz, r_reason text,
               r_order_status_before text, r_order_status_after text)
LANGUAGE plpgsql AS $$
DECLARE
    v_deposit_id bigint;
    v_amount     bigint;
    v_chain_time timestamptz;
    v_purpose    text;
    v_partner_id bigint;
    v_paying     record;
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

-- As in 0007: a deposit held in quarantine is not applied (an operator releases it first), and applying
-- one clears the failures counted for it.
CREATE FUNCTION apply_deposit(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_unmatched_nanoton bigint, r_amount_nanoton bigint, r_chain_time timestamptz, r_reason text,
               r_order_status_before text, r_order_status_after text)
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM quarantined_deposits q WHERE q.tx_hash = p_tx_hash AND q.released_at IS NULL) THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM apply_deposit_matching(p_tx_hash, p_address, p_memo, p_now);
    IF FOUND THEN
        DELETE FROM deposit_failures WHERE tx_hash = p_tx_hash;
    END IF;
END;
$$;
