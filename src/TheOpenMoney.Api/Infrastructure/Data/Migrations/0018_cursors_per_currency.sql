-- USDT on TON (issue 27): the processor keeps a deposit history per (user_id, currency), so the poller keeps a
-- cursor per (user_id, currency). Every cursor so far read TON.
ALTER TABLE processor_cursors ADD COLUMN currency varchar(16) NOT NULL DEFAULT 'TON';
ALTER TABLE processor_cursors ALTER COLUMN currency DROP DEFAULT;
ALTER TABLE processor_cursors ADD CONSTRAINT ck_processor_cursors_currency CHECK (currency ~ '^[A-Z0-9]{1,16}$');
ALTER TABLE processor_cursors DROP CONSTRAINT processor_cursors_pkey;
ALTER TABLE processor_cursors ADD CONSTRAINT processor_cursors_pkey PRIMARY KEY (processor_user_id, currency);
