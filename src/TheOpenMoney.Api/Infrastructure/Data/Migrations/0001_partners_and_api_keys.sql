-- Partners and their API keys.
CREATE TABLE partners (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_user_id bigint       NOT NULL,
    username         varchar(64)  NULL,
    created_at       timestamptz  NOT NULL,
    updated_at       timestamptz  NOT NULL,
    CONSTRAINT ux_partners_telegram_user_id UNIQUE (telegram_user_id),
    CONSTRAINT ck_partners_telegram_user_id_positive CHECK (telegram_user_id > 0)
);

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id   bigint       NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    key_hash     bytea        NOT NULL,
    prefix       varchar(32)  NOT NULL,
    created_at   timestamptz  NOT NULL,
    last_used_at timestamptz  NULL,
    revoked_at   timestamptz  NULL,
    CONSTRAINT ux_api_keys_key_hash UNIQUE (key_hash),
    CONSTRAINT ck_api_keys_key_hash_is_sha256 CHECK (octet_length(key_hash) = 32),
    CONSTRAINT ck_api_keys_prefix CHECK (prefix LIKE 'osk\_%')
);

-- At most one active key per partner, enforced by the database.
CREATE UNIQUE INDEX ux_api_keys_one_active_per_partner ON api_keys (partner_id) WHERE revoked_at IS NULL;
