-- Windows of different lengths in one table (issue 26): the bot's key-command cooldown (10 minutes by default) is
-- counted here too now, beside the per-minute API limits. The sweeper deleted buckets by their start (older than two
-- API windows), which would have reset a longer window half-way; each bucket now keeps when its window ends, and the
-- sweeper deletes only windows that have ended.
ALTER TABLE rate_limit_buckets ADD COLUMN window_end timestamptz;
-- Rows from before were all per-minute windows.
UPDATE rate_limit_buckets SET window_end = window_start + interval '1 minute';
ALTER TABLE rate_limit_buckets ALTER COLUMN window_end SET NOT NULL;
ALTER TABLE rate_limit_buckets ADD CONSTRAINT ck_rate_limit_buckets_window CHECK (window_end > window_start);
DROP INDEX ix_rate_limit_buckets_window;
CREATE INDEX ix_rate_limit_buckets_window_end ON rate_limit_buckets (window_end);

CREATE OR REPLACE FUNCTION rate_limit_lease(p_bucket text, p_now timestamptz, p_window interval, p_want integer, p_limit integer,
                                            OUT granted integer, OUT taken integer, OUT window_start timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rate_limit_buckets AS b (bucket, window_start, window_end, taken) VALUES (p_bucket, p_now, p_now + p_window, 0)
    ON CONFLICT (bucket) DO UPDATE
       SET window_start = CASE WHEN b.window_start + p_window <= p_now THEN p_now ELSE b.window_start END,
           window_end = CASE WHEN b.window_start + p_window <= p_now THEN p_now + p_window ELSE b.window_start + p_window END,
           taken = CASE WHEN b.window_start + p_window <= p_now THEN 0 ELSE b.taken END
    RETURNING b.window_start, b.taken INTO window_start, taken;
    granted := greatest(0, least(p_want, p_limit - taken));
    IF granted > 0 THEN
        UPDATE rate_limit_buckets SET taken = rate_limit_buckets.taken + granted WHERE bucket = p_bucket;
        taken := taken + granted;
    END IF;
END;
$$;
