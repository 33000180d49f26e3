-- Money out in the currency the money is in (issue 27): a refund of an unmatched USDT deposit sends USDT back, a
-- partner's USDT balance is withdrawn as USDT. A withdrawal row's amount_nanoton and fee_nanoton count base units of
-- its currency (like every money column since 0019); the processor is asked with that currency.
ALTER TABLE withdrawals ADD COLUMN currency varchar(8) NOT NULL DEFAULT 'TON';
ALTER TABLE withdrawals ADD CONSTRAINT ck_withdrawals_currency CHECK (currency IN ('TON', 'USDT'));
COMMENT ON COLUMN withdrawals.amount_nanoton IS 'base units of currency: nanoTON for TON, 10^-6 USDT for USDT';
COMMENT ON COLUMN withdrawals.fee_nanoton IS 'base units of currency, like amount_nanoton';

-- 0019 refused every refund of a non-TON deposit (refunds sent TON only). Now a refund must send the deposit's own
-- currency: never TON for a USDT deposit, nor the reverse.
DROP TRIGGER trg_withdrawals_refund_ton_only ON withdrawals;
DROP FUNCTION withdrawals_refund_ton_only();
CREATE FUNCTION withdrawals_refund_in_deposit_currency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'refund' AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.id = NEW.deposit_id AND d.currency = NEW.currency) THEN
        RAISE EXCEPTION 'refund of deposit % must be in the deposit''s currency, not %', NEW.deposit_id, NEW.currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_withdrawals_refund_in_deposit_currency BEFORE INSERT OR UPDATE OF currency, deposit_id, kind ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION withdrawals_refund_in_deposit_currency();

-- A partner withdrawal's hold and its reversal move the balance of the withdrawal's currency, and no other.
CREATE FUNCTION balance_ledger_withdrawal_currency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM withdrawals w WHERE w.id = NEW.withdrawal_id AND w.currency = NEW.currency) THEN
        RAISE EXCEPTION 'ledger row of withdrawal % must be in the withdrawal''s currency, not %', NEW.withdrawal_id, NEW.currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_balance_ledger_withdrawal_currency BEFORE INSERT ON balance_ledger
    FOR EACH ROW WHEN (NEW.withdrawal_id IS NOT NULL) EXECUTE FUNCTION balance_ledger_withdrawal_currency();
