-- Many instances (issue 26): every instance caches the keys it has authenticated, and a key that is revoked
-- (or replaced: issuing revokes the old key) must fail on every instance within a second. The database says
-- so itself, whoever revokes (the bot, the CLI, an operator's SQL): each change of a key's revoked_at, and a
-- removed key, is announced on the channel api_keys_changed with the key's hash (hex; the hash is no secret
-- worth more than the table that stores it), sent when the transaction commits. Instances LISTEN on a
-- connection of their own and drop that key from their cache.
CREATE FUNCTION notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('api_keys_changed', encode(coalesce(NEW.key_hash, OLD.key_hash), 'hex'));
    RETURN NULL;
END;
$$;

CREATE TRIGGER tr_api_keys_changed AFTER UPDATE OF revoked_at, partner_id, livemode OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION notify_api_key_changed();
