-- Foundation schema (SQLite). Applied migrations are never edited: add a new file instead.
-- Times are Unix seconds (UTC) in BIGINT; days are day numbers since 1970-01-01.

CREATE TABLE customers (
    id             INTEGER PRIMARY KEY,
    parent_id      BIGINT REFERENCES customers (id),
    -- ancestors and self as '/1/5/23/': a subtree is one prefix range, the basis of tenant scoping
    path           TEXT NOT NULL,
    name           TEXT NOT NULL,
    account_number TEXT NOT NULL UNIQUE,
    is_provider    BIGINT NOT NULL DEFAULT 0,
    contact_email  TEXT,
    country        TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX customers_path ON customers (path);
CREATE INDEX customers_parent ON customers (parent_id);

CREATE TABLE rate_plans (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    data_bytes        BIGINT NOT NULL,
    sms               BIGINT NOT NULL,
    voice_seconds     BIGINT NOT NULL,
    monthly_fee_cents BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE customer_services (
    id           INTEGER PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    rate_plan_id BIGINT NOT NULL REFERENCES rate_plans (id),
    name         TEXT NOT NULL,
    UNIQUE (customer_id, name)
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    username    TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    phone       TEXT,
    status      TEXT NOT NULL DEFAULT 'invited',
    lang        TEXT NOT NULL DEFAULT 'en',
    created_at  BIGINT NOT NULL
);
CREATE INDEX users_customer ON users (customer_id);

CREATE TABLE sims (
    id                  INTEGER PRIMARY KEY,
    iccid               TEXT NOT NULL UNIQUE,
    imsi                TEXT NOT NULL UNIQUE,
    msisdn              TEXT NOT NULL UNIQUE,
    imei                TEXT,
    eid                 TEXT,
    label               TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    service_id          BIGINT REFERENCES customer_services (id),
    activated_at        BIGINT,
    last_session_at     BIGINT,
    last_country        TEXT,
    last_mcc_mnc        TEXT,
    last_rat            TEXT,
    cycle_start_day     BIGINT NOT NULL DEFAULT 0,
    cycle_data_bytes    BIGINT NOT NULL DEFAULT 0,
    cycle_sms           BIGINT NOT NULL DEFAULT 0,
    cycle_voice_seconds BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX sims_customer_status ON sims (customer_id, status);
CREATE INDEX sims_service ON sims (service_id);

CREATE TABLE cdrs (
    id         INTEGER PRIMARY KEY,
    record_id  TEXT NOT NULL UNIQUE,
    sim_id     BIGINT NOT NULL REFERENCES sims (id),
    kind       TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL,
    bytes_up   BIGINT NOT NULL DEFAULT 0,
    bytes_down BIGINT NOT NULL DEFAULT 0,
    -- messages for SMS, seconds for voice
    units      BIGINT NOT NULL DEFAULT 0,
    mcc_mnc    TEXT NOT NULL,
    rat        TEXT NOT NULL
);
CREATE INDEX cdrs_sim_time ON cdrs (sim_id, started_at);

CREATE TABLE edrs (
    id          INTEGER PRIMARY KEY,
    record_id   TEXT NOT NULL UNIQUE,
    sim_id      BIGINT NOT NULL REFERENCES sims (id),
    event_type  TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    mcc_mnc     TEXT,
    details     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX edrs_sim_time ON edrs (sim_id, occurred_at);

-- One row per SIM and day with activity, kept current by every CDR insert; charts and cycle
-- totals read these, never the CDRs.
CREATE TABLE usage_daily (
    sim_id        BIGINT NOT NULL REFERENCES sims (id),
    day           BIGINT NOT NULL,
    customer_id   BIGINT NOT NULL,
    data_bytes    BIGINT NOT NULL DEFAULT 0,
    sms           BIGINT NOT NULL DEFAULT 0,
    voice_seconds BIGINT NOT NULL DEFAULT 0,
    sessions      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (sim_id, day)
) WITHOUT ROWID;
CREATE INDEX usage_daily_customer_day ON usage_daily (customer_id, day);

-- Small facts about this database, e.g. that the demo seed completed.
CREATE TABLE app_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
