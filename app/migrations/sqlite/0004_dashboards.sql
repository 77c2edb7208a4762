-- Dashboards, the usage rollups they read, and in-app notifications.

-- A user's dashboards (owner_id set) and administrators' templates (owner_id NULL). The widgets
-- are one JSON document, so a change replaces the layout whole and the version check of that
-- one UPDATE is what keeps two tabs from overwriting each other.
CREATE TABLE dashboards (
    id              INTEGER PRIMARY KEY,
    owner_id        BIGINT REFERENCES users (id) ON DELETE CASCADE,
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    -- templates only: the role a template is for, or '*' for every role of the customer
    template_role   TEXT,
    name            TEXT NOT NULL,
    position        BIGINT NOT NULL DEFAULT 0,
    is_default      BIGINT NOT NULL DEFAULT 0,
    -- auto-refresh period in minutes (0 = off)
    refresh_minutes BIGINT NOT NULL DEFAULT 0,
    -- read-only sharing: with every user of the owner's customer, or with one role there
    share_customer  BIGINT NOT NULL DEFAULT 0,
    share_role      TEXT,
    widgets         TEXT NOT NULL DEFAULT '[]',
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX dashboards_owner ON dashboards (owner_id, position);
CREATE INDEX dashboards_customer ON dashboards (customer_id);
CREATE UNIQUE INDEX dashboards_template ON dashboards (customer_id, template_role) WHERE owner_id IS NULL;

-- Usage per customer tree and day: the row of customer C sums every SIM in C's subtree, and
-- tree 0 the whole fleet, so a dashboard reads a few rows whatever the number of CDRs or
-- customers. Kept in the transaction of every CDR insert.
CREATE TABLE usage_tree_daily (
    tree_id       BIGINT NOT NULL,
    day           BIGINT NOT NULL,
    data_bytes    BIGINT NOT NULL DEFAULT 0,
    sms           BIGINT NOT NULL DEFAULT 0,
    voice_seconds BIGINT NOT NULL DEFAULT 0,
    sessions      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tree_id, day)
) WITHOUT ROWID;

-- The same per hour (hours since 1970), for the last three days only.
CREATE TABLE usage_tree_hourly (
    tree_id       BIGINT NOT NULL,
    hour          BIGINT NOT NULL,
    data_bytes    BIGINT NOT NULL DEFAULT 0,
    sms           BIGINT NOT NULL DEFAULT 0,
    voice_seconds BIGINT NOT NULL DEFAULT 0,
    sessions      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tree_id, hour)
) WITHOUT ROWID;

-- SIM counts per customer tree by facet: 'net' (network of the last session, every SIM that
-- had one) and 'svc' (customer service of activated SIMs), kept with every change of them.
CREATE TABLE sim_tree_counts (
    tree_id BIGINT NOT NULL,
    facet   TEXT NOT NULL,
    value   TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (tree_id, facet, value)
) WITHOUT ROWID;

-- In-app notifications, one row per recipient.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    -- e.g. 'usage', 'status', 'security'
    kind        TEXT NOT NULL,
    sim_id      BIGINT REFERENCES sims (id),
    message     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
