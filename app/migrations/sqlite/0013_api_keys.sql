-- API keys: a user's keys for the REST API (kind 'api') or for delivering usage records
-- (kind 'ingest'). Only a keyed hash of the key is kept; `reveal` holds the key sealed with the
-- server key until its owner has seen it once (then NULL). A key acts with its role, never more
-- than its owner may do at the time of use.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    role         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL UNIQUE,
    reveal       TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);
