-- Telegram bot: the update_ids already handled, so an update delivered twice (a webhook retry, or
-- getUpdates handing back an update whose confirmation was lost in a restart) is handled once.
-- Rows are swept after Telegram:UpdateRetention (Telegram itself keeps updates for 24 hours).
CREATE TABLE telegram_updates (
    update_id   bigint      PRIMARY KEY,
    received_at timestamptz NOT NULL
);
CREATE INDEX ix_telegram_updates_received_at ON telegram_updates (received_at);
