-- Sign-in and account security (issue 3). Times are Unix seconds (UTC).

ALTER TABLE users ADD COLUMN password_hash TEXT;
-- While an invitation is open: when its temporary password stops working.
ALTER TABLE users ADD COLUMN temp_password_expires_at BIGINT;
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
ALTER TABLE users ADD COLUMN phone_verified_at BIGINT;
-- email | sms | totp: the second factor offered first.
ALTER TABLE users ADD COLUMN mfa_default TEXT NOT NULL DEFAULT 'email';
ALTER TABLE users ADD COLUMN mfa_email BIGINT NOT NULL DEFAULT 1;
-- Consecutive failures since the last complete sign-in; the lock follows from the count.
ALTER TABLE users ADD COLUMN failed_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- Settings > Security > MFA, per customer. On by default: the safe choice.
ALTER TABLE customers ADD COLUMN mfa_required BIGINT NOT NULL DEFAULT 1;

-- Failure counters for usernames that do not exist, so they lock exactly like real ones.
CREATE TABLE unknown_logins (
    username        TEXT PRIMARY KEY,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE password_history (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, id);

-- A browser session. Only a hash of the cookie's token is stored. `stage` is where the sign-in
-- stands: verify_email, first_code, set_password and mfa are steps, active is signed in.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage        TEXT NOT NULL,
    remember     BIGINT NOT NULL DEFAULT 0,
    mfa_method   TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    -- one-time data to show on the next page (new recovery codes), encrypted with the server key
    flash        TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time codes sent by email or SMS; stored as keyed hashes, tied to the session that asked.
CREATE TABLE auth_codes (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id BIGINT REFERENCES sessions (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX auth_codes_user ON auth_codes (user_id, purpose, id);

-- Authenticator apps. The secret is encrypted with the server key; `last_step` is the newest
-- accepted RFC 6238 time step, advanced with a conditional update so a code works once.
CREATE TABLE totp_devices (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    secret_enc   TEXT NOT NULL,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX totp_devices_user ON totp_devices (user_id);

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE reset_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Every sign-in attempt, as typed.
CREATE TABLE sign_in_log (
    id          INTEGER PRIMARY KEY,
    at          BIGINT NOT NULL,
    username    TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    customer_id BIGINT REFERENCES customers (id),
    ip          TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    method      TEXT NOT NULL,
    result      TEXT NOT NULL
);
CREATE INDEX sign_in_log_at ON sign_in_log (at);
CREATE INDEX sign_in_log_customer ON sign_in_log (customer_id, at);

-- Fixed-window counters shared by every server process.
CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Append-only audit journal; rows are written in the transaction of the change they record.
CREATE TABLE journal (
    id          INTEGER PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    customer_id BIGINT REFERENCES customers (id),
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX journal_customer ON journal (customer_id, at);
