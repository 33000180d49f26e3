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

-- apply_deposit keeps 0006's matching rules (renamed apply_deposit_matching) behind a wrapper that adds
-- two things: a deposit held in quarantine is not applied (an operator releases it first), and
-- applying one clears the failures counted for it ("in a row").
ALTER FUNCTION apply_deposit(text, text, text, timestamptz) RENAME TO apply_deposit_matching;

CREATE FUNCTION apply_deposit(p_tx_hash text, p_address text, p_memo text, p_now timestamptz)
RETURNS TABLE (r_kind text, r_order_id bigint, r_partner_id bigint, r_order_nanoton bigint, r_credited_nanoton bigint,
               r_unmatched_nanoton bigint, r_amount_nanoton bigint, r_chain_time timestamptz, r_reason text)
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
