-- Processor rows are attacker-controlled: a payer chooses the comment (any bytes), and a row can be
-- garbage. Nothing a row holds may stop the poller, and nothing is ever dropped.

-- PostgreSQL text cannot hold NUL: `comment` keeps a storable form (NUL shown as U+FFFD) and, when
-- that differs from what the processor sent, `comment_original` keeps the exact UTF-8 bytes.
ALTER TABLE deposits ADD COLUMN comment_original bytea NULL;

-- A row that cannot be read, or a deposit that failed to apply too many times in a row, is held here
-- with its raw bytes and the reason, for operators (CLI: deposits quarantined / deposits retry). The
-- poller moves past it. A row seen again (history re-reads) only bumps seen_count.
CREATE TABLE quarantined_deposits (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint       bytea        NOT NULL,
    tx_hash           varchar(128) NULL,
    processor_user_id varchar(64)  NOT NULL,
    received_via      varchar(8)   NOT NULL,
    raw               bytea        NOT NULL,
    reason            text         NOT NULL,
    amount_nanoton    bigint       NULL,
    first_seen_at     timestamptz  NOT NULL,
    last_seen_at      timestamptz  NOT NULL,
    seen_count        integer      NOT NULL DEFAULT 1,
    released_at       timestamptz  NULL,
    released_note     text         NULL,
    CONSTRAINT ux_quarantined_deposits_fingerprint UNIQUE (fingerprint),
    CONSTRAINT ck_quarantined_deposits_fingerprint CHECK (octet_length(fingerprint) = 32),
    CONSTRAINT ck_quarantined_deposits_received_via CHECK (received_via IN ('poll', 'webhook', 'stored', 'hint')),
    CONSTRAINT ck_quarantined_deposits_amount CHECK (amount_nanoton IS NULL OR amount_nanoton > 0),
    CONSTRAINT ck_quarantined_deposits_seen CHECK (seen_count >= 1)
);
-- The held rows, and the held tx_hashes the poller skips.
CREATE INDEX ix_quarantined_deposits_held ON quarantined_deposits (id) WHERE released_at IS NULL;
CREATE INDEX ix_quarantined_deposits_tx_hash ON quarantined_deposits (tx_hash) WHERE tx_hash IS NOT NULL AND released_at IS NULL;

-- Consecutive failures to store or apply a readable deposit (the database refused it). A transient
-- database failure does not count; DepositProcessing:MaxApplyFailures in a row quarantine it.
CREATE TABLE deposit_failures (
    tx_hash         varchar(128) PRIMARY KEY,
    failures        integer      NOT NULL,
    last_error      text         NOT NULL,
    first_failed_at timestamptz  NOT NULL,
    last_failed_at  timestamptz  NOT NULL,
    CONSTRAINT ck_deposit_failures_failures CHECK (failures >= 1)
);

-- A webhook push the processor could not confirm at the time (it was unreachable): only its tx_hash is
-- kept (nothing else in a push is trusted); the poller asks the processor again and settles it.
CREATE TABLE deposit_hints (
    tx_hash         varchar(128) PRIMARY KEY,
    received_at     timestamptz  NOT NULL,
    attempts        integer      NOT NULL DEFAULT 0,
    last_attempt_at timestamptz  NULL,
    settled_at      timestamptz  NULL,
    outcome         varchar(16)  NULL,
    CONSTRAINT ck_deposit_hints_outcome CHECK (outcome IS NULL OR outcome IN ('applied', 'known', 'unknown', 'quarantined', 'expired')),
    CONSTRAINT ck_deposit_hints_settled CHECK ((settled_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX ix_deposit_hints_open ON deposit_hints (received_at) WHERE settled_at IS NULL;

-- apply_deposit as in 0006, and: a deposit held in quarantine is not applied (an operator releases it
-- first), and applying one clears the failures counted for it.
CREATE OR REPLACE FUNCTION apply_deposit(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
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
    -- A deposit held in quarantine waits for an operator (who releases it first).
    IF EXISTS (SELECT 1 FROM quarantined_deposits q WHERE q.tx_hash = p_tx_hash AND q.released_at IS NULL) THEN
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

    -- Applied: the failures counted for it start again from zero ("in a row").
    DELETE FROM deposit_failures WHERE tx_hash = p_tx_hash;
    UPDATE deposits
       SET kind = r_kind, order_id = r_order_id, partner_id = r_partner_id, order_nanoton = r_order_nanoton,
           credited_nanoton = r_credited_nanoton, unmatched_nanoton = r_unmatched_nanoton, applied_at = p_now
     WHERE id = v_deposit_id;
    RETURN NEXT;
END;
$$;
