-- Money out (issue 24): refunds of unmatched deposits and partner withdrawals, both sent by the processor
-- from its hot wallet (POST /v1/withdrawal/send), through one table and one engine. MoneyOut/WithdrawalMachine.cs
-- lists every move of a withdrawal; WithdrawalLifecycle is the only code that writes this table.
--
-- The intent is committed before the processor is asked: a row is written `pending` (or, for a partner,
-- `awaiting_confirmation` until the partner confirms in Telegram) and only then sent, with a query_id made
-- from the row itself (refund-<id>, wd-<id>), so a crash between asking and storing the answer can never pay
-- twice: the processor refuses a query_id it already has, and that refusal is recorded as "sent".
CREATE TABLE withdrawals (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                 varchar(8)   NOT NULL,
    partner_id           bigint       NULL REFERENCES partners (id) ON DELETE RESTRICT,
    deposit_id           bigint       NULL REFERENCES deposits (id) ON DELETE RESTRICT,
    status               varchar(24)  NOT NULL,
    amount_nanoton       bigint       NOT NULL,
    fee_nanoton          bigint       NOT NULL,
    destination          varchar(64)  NOT NULL,
    comment              varchar(128) NULL,
    query_id             varchar(32)  NOT NULL,
    processor_id         bigint       NULL,
    -- The processor already had our query_id when we asked (a crash between its answer and our storing it):
    -- the money is on its way; the engine looks its id up among the processor's withdrawals (an operator can link it too).
    processor_id_unknown boolean      NOT NULL DEFAULT false,
    tx_hash              varchar(128) NULL,
    failure_reason       text         NULL,
    -- Partner withdrawals: the Telegram confirmation. The buttons carry HMAC(ApiKeys:Pepper, id, confirm_salt): only
    -- the service can make it, and it is never stored.
    confirm_salt         bytea        NULL,
    confirm_by           timestamptz  NULL,
    telegram_chat_id     bigint       NULL,
    telegram_message_id  bigint       NULL,
    created_at           timestamptz  NOT NULL,
    confirmed_at         timestamptz  NULL,
    sent_at              timestamptz  NULL,
    completed_at         timestamptz  NULL,
    failed_at            timestamptz  NULL,
    cancelled_at         timestamptz  NULL,
    expired_at           timestamptz  NULL,
    updated_at           timestamptz  NOT NULL,
    -- When the engine looks at it next (sending, or asking the processor how it went).
    next_check_at        timestamptz  NULL,
    processor_calls      integer      NOT NULL DEFAULT 0,
    CONSTRAINT ux_withdrawals_query_id UNIQUE (query_id),
    CONSTRAINT ck_withdrawals_kind CHECK (kind IN ('refund', 'partner')),
    CONSTRAINT ck_withdrawals_owner CHECK ((kind = 'refund') = (deposit_id IS NOT NULL) AND (kind = 'partner') = (partner_id IS NOT NULL)),
    CONSTRAINT ck_withdrawals_status CHECK (status IN ('awaiting_confirmation', 'pending', 'sent', 'completed', 'failed', 'cancelled', 'expired')),
    CONSTRAINT ck_withdrawals_partner_only CHECK (kind = 'partner' OR status NOT IN ('awaiting_confirmation', 'cancelled', 'expired')),
    CONSTRAINT ck_withdrawals_amount CHECK (amount_nanoton > 0 AND fee_nanoton >= 0),
    CONSTRAINT ck_withdrawals_confirmation CHECK (kind = 'refund' OR (confirm_salt IS NOT NULL AND confirm_by IS NOT NULL)),
    CONSTRAINT ck_withdrawals_sent CHECK (status NOT IN ('sent', 'completed') OR processor_id IS NOT NULL OR processor_id_unknown),
    CONSTRAINT ck_withdrawals_completed CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
-- At most one refund of a deposit is alive (pending, sent, or done); a failed one may be followed by another.
CREATE UNIQUE INDEX ux_withdrawals_live_refund ON withdrawals (deposit_id) WHERE kind = 'refund' AND status IN ('pending', 'sent', 'completed');
-- One row per withdrawal at the processor: a looked-up or linked id can never be taken by two rows.
CREATE UNIQUE INDEX ux_withdrawals_processor_id ON withdrawals (processor_id) WHERE processor_id IS NOT NULL;
CREATE INDEX ix_withdrawals_partner ON withdrawals (partner_id, id DESC) WHERE partner_id IS NOT NULL;
CREATE INDEX ix_withdrawals_engine ON withdrawals (next_check_at) WHERE status IN ('pending', 'sent');
CREATE INDEX ix_withdrawals_awaiting ON withdrawals (confirm_by) WHERE status = 'awaiting_confirmation';

-- What operators (or the refund rule) decided about an unmatched deposit. NULL: nothing yet (a refund may
-- be queued after Refunds:Grace). refund_failed and unrefundable (a sender address that cannot be read):
-- the operators decide. Once refunded, the refund's amount and fee leave `unmatched`.
ALTER TABLE deposits
    ADD COLUMN decision           varchar(16) NULL,
    ADD COLUMN decided_at         timestamptz NULL,
    ADD COLUMN refunded_nanoton   bigint      NOT NULL DEFAULT 0,
    ADD COLUMN refund_fee_nanoton bigint      NOT NULL DEFAULT 0,
    ADD CONSTRAINT ck_deposits_decision CHECK (decision IS NULL OR decision IN ('keep', 'assigned', 'refunding', 'refunded', 'refund_failed', 'unrefundable')),
    ADD CONSTRAINT ck_deposits_refunded CHECK (refunded_nanoton >= 0 AND refund_fee_nanoton >= 0
        AND (decision IS NOT DISTINCT FROM 'refunded') = (refunded_nanoton + refund_fee_nanoton > 0));
-- Every nanoTON of an applied deposit is in exactly one place, refunds included.
ALTER TABLE deposits DROP CONSTRAINT ck_deposits_split;
ALTER TABLE deposits ADD CONSTRAINT ck_deposits_split CHECK (
    (applied_at IS NULL AND kind IS NULL AND order_nanoton = 0 AND credited_nanoton = 0 AND unmatched_nanoton = 0
     AND refunded_nanoton = 0 AND refund_fee_nanoton = 0) OR
    (applied_at IS NOT NULL AND kind IS NOT NULL AND order_nanoton >= 0 AND credited_nanoton >= 0 AND unmatched_nanoton >= 0
     AND order_nanoton + credited_nanoton + unmatched_nanoton + refunded_nanoton + refund_fee_nanoton = amount_nanoton));
CREATE INDEX ix_deposits_refundable ON deposits (applied_at) WHERE kind = 'unmatched' AND decision IS NULL;

-- The ledger learns withdrawals: the hold (amount + fee) and, when the withdrawal does not go out, its
-- reversal in full; each at most once per withdrawal.
ALTER TABLE balance_ledger ADD COLUMN withdrawal_id bigint NULL REFERENCES withdrawals (id) ON DELETE RESTRICT;
ALTER TABLE balance_ledger DROP CONSTRAINT ck_balance_ledger_type;
ALTER TABLE balance_ledger ADD CONSTRAINT ck_balance_ledger_type CHECK (type IN (
    'topup', 'order_payment', 'refund', 'overpayment', 'underpayment', 'late_payment', 'adjustment', 'withdrawal', 'withdrawal_reversal'));
ALTER TABLE balance_ledger DROP CONSTRAINT ck_balance_ledger_sign;
ALTER TABLE balance_ledger ADD CONSTRAINT ck_balance_ledger_sign CHECK (
    (type IN ('order_payment', 'withdrawal') AND amount_nanoton < 0) OR
    (type IN ('topup', 'refund', 'overpayment', 'underpayment', 'late_payment', 'withdrawal_reversal') AND amount_nanoton > 0) OR
    type = 'adjustment');
ALTER TABLE balance_ledger ADD CONSTRAINT ck_balance_ledger_withdrawal CHECK ((type IN ('withdrawal', 'withdrawal_reversal')) = (withdrawal_id IS NOT NULL));
CREATE UNIQUE INDEX ux_balance_ledger_withdrawal ON balance_ledger (withdrawal_id, type) WHERE withdrawal_id IS NOT NULL;

DROP FUNCTION ledger_apply(bigint, text, bigint, bigint, text, text, text, timestamptz, bigint);
CREATE FUNCTION ledger_apply(
    p_partner_id bigint, p_type text, p_amount bigint, p_order_id bigint, p_tx_hash text,
    p_operator_ref text, p_description text, p_now timestamptz, p_deposit_id bigint, p_withdrawal_id bigint DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
    WITH updated AS (
        UPDATE partner_balances
           SET balance_nanoton = balance_nanoton + p_amount, updated_at = p_now
         WHERE partner_id = p_partner_id AND balance_nanoton + p_amount >= 0
     RETURNING balance_nanoton)
    INSERT INTO balance_ledger (partner_id, type, amount_nanoton, balance_after_nanoton, order_id, tx_hash, operator_ref, description, created_at, deposit_id, withdrawal_id)
    SELECT p_partner_id, p_type, p_amount, updated.balance_nanoton, p_order_id, p_tx_hash, p_operator_ref, p_description, p_now, p_deposit_id, p_withdrawal_id
      FROM updated
    RETURNING balance_after_nanoton
$$;

-- Events: a partner withdrawal that completed or failed is an event, written in the same transaction as
-- the change (the balance events of its hold and reversal come from the ledger trigger).
ALTER TABLE events ADD COLUMN withdrawal_id bigint NULL;
ALTER TABLE events DROP CONSTRAINT ck_events_type;
ALTER TABLE events ADD CONSTRAINT ck_events_type CHECK (type IN (
    'order.created', 'order.paid', 'order.completed', 'order.failed', 'order.expired', 'order.cancelled',
    'balance.credited', 'balance.debited', 'withdrawal.completed', 'withdrawal.failed', 'ping'));

CREATE FUNCTION record_withdrawal_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'partner' AND NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('completed', 'failed') THEN
        INSERT INTO events (partner_id, type, withdrawal_id, snapshot)
        VALUES (NEW.partner_id, 'withdrawal.' || NEW.status, NEW.id, to_jsonb(NEW) - 'confirm_salt');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tr_withdrawals_events AFTER UPDATE OF status ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION record_withdrawal_event();

-- An unmatched deposit applied to an order an operator names, as if its memo had matched: the order's
-- own rules (order_receive_payment: paid, partial, or credited late). Refuses a deposit already decided
-- (kept, assigned, refunding or refunded); one whose refund failed may still be assigned.
CREATE FUNCTION assign_unmatched_deposit(p_tx_hash text, p_order_id bigint, p_now timestamptz)
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
    SELECT payment_memo INTO v_memo FROM orders WHERE id = p_order_id;
    IF NOT FOUND THEN
        r_refused := 'no order with that id';
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

-- The closed book: each reconciliation run with what it found, so a difference is called a mismatch only
-- when the run before found it too (a deposit the poller has not reached yet is not one), and health and
-- the CLI read the latest.
CREATE TABLE reconciliation_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ran_at           timestamptz NOT NULL,
    status           varchar(16) NOT NULL,
    differences      jsonb       NOT NULL,
    mismatch_nanoton bigint      NOT NULL,
    holds_nanoton    bigint      NULL,
    owes_nanoton     bigint      NOT NULL,
    report           jsonb       NOT NULL,
    CONSTRAINT ck_reconciliation_runs_status CHECK (status IN ('ok', 'mismatch', 'shortfall', 'unavailable'))
);
CREATE INDEX ix_reconciliation_runs_ran_at ON reconciliation_runs (ran_at DESC);
