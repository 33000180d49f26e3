-- Many instances (issue 26): every limit holds across instances, counted here.
--
-- Per-key, order-creation and failed-auth limits: one row per bucket with its window (anchored at the bucket's
-- first request, as before) and what has been taken in it. Instances lease permits in small batches
-- (rate_limit_lease), so a request rarely waits for the database, and never more than the limit is leased in a
-- window: every instance together admits at most the limit, and at worst each other instance holds back an
-- unused batch (the README states the bound). UNLOGGED: counts are not worth a WAL write, and after a crash
-- or a failover the windows start afresh.
CREATE UNLOGGED TABLE rate_limit_buckets (
    bucket       text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    taken        integer     NOT NULL CHECK (taken >= 0)
);
CREATE INDEX ix_rate_limit_buckets_window ON rate_limit_buckets (window_start);

-- Takes up to p_want permits of p_limit from the bucket's window in force at p_now (a new window when the last
-- one has ended): how many were granted, what is taken in the window now, and when the window started.
CREATE FUNCTION rate_limit_lease(p_bucket text, p_now timestamptz, p_window interval, p_want integer, p_limit integer,
                                 OUT granted integer, OUT taken integer, OUT window_start timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rate_limit_buckets AS b (bucket, window_start, taken) VALUES (p_bucket, p_now, 0)
    ON CONFLICT (bucket) DO UPDATE
       SET window_start = CASE WHEN b.window_start + p_window <= p_now THEN p_now ELSE b.window_start END,
           taken = CASE WHEN b.window_start + p_window <= p_now THEN 0 ELSE b.taken END
    RETURNING b.window_start, b.taken INTO window_start, taken;
    granted := greatest(0, least(p_want, p_limit - taken));
    IF granted > 0 THEN
        UPDATE rate_limit_buckets SET taken = rate_limit_buckets.taken + granted WHERE bucket = p_bucket;
        taken := taken + granted;
    END IF;
END;
$$;

-- TonRamp's published limits are moving windows (30 generate, 60 status per minute) counted per merchant, so
-- all instances share one exact log of the requests they sent. Low volume: one short transaction per request,
-- serialised per kind by an advisory lock.
CREATE UNLOGGED TABLE tonramp_permits (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       varchar(16) NOT NULL,
    granted_at timestamptz NOT NULL
);
CREATE INDEX ix_tonramp_permits_kind ON tonramp_permits (kind, granted_at);

-- A permit now (NULL), or the instant the oldest permit in the window leaves it.
CREATE FUNCTION tonramp_take_permit(p_kind text, p_now timestamptz, p_window interval, p_limit integer)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    v_count  integer;
    v_oldest timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('tonramp-permits:' || p_kind));
    DELETE FROM tonramp_permits WHERE kind = p_kind AND granted_at <= p_now - p_window;
    SELECT count(*), min(granted_at) INTO v_count, v_oldest FROM tonramp_permits WHERE kind = p_kind;
    IF v_count < p_limit THEN
        INSERT INTO tonramp_permits (kind, granted_at) VALUES (p_kind, p_now);
        RETURN NULL;
    END IF;
    RETURN v_oldest + p_window;
END;
$$;
