-- Notification rules, their occurrences and who is told.

-- A rule watches one customer's tree. `kind` says what it watches; the other columns are the
-- kind's settings (NULL when they do not apply).
CREATE TABLE notification_rules (
    id          INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    name        TEXT NOT NULL,
    -- 'usage_sim' | 'status' | 'no_session' | 'security'
    kind        TEXT NOT NULL,
    -- usage: 'data' | 'sms' | 'voice'
    metric      TEXT,
    -- usage: bytes / messages / seconds, or a percentage of the plan's allowance; no_session: days
    threshold   BIGINT,
    -- usage: 'abs' | 'percent'
    unit        TEXT,
    -- usage: only SIMs of this customer service (rate plan)
    service_id  BIGINT REFERENCES customer_services (id),
    -- status: only changes to this status (NULL: any change)
    status      TEXT,
    -- usage: what to do with the SIM when crossed: 'none' | 'suspend' | 'deactivate'
    action      TEXT NOT NULL DEFAULT 'none',
    -- {"users": [ids], "roles": [codes], "emails": [addresses]}
    recipients  TEXT NOT NULL,
    in_app      BIGINT NOT NULL DEFAULT 1,
    email       BIGINT NOT NULL DEFAULT 0,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX notification_rules_kind ON notification_rules (kind, enabled);
CREATE INDEX notification_rules_customer ON notification_rules (customer_id);

-- One row per occurrence. The key names the occurrence (a SIM in a billing cycle, a journal
-- entry, an idle stretch), so a second evaluation of the same occurrence (a resent batch, a
-- restart, another server process) inserts nothing and tells nobody twice.
CREATE TABLE notification_events (
    id          INTEGER PRIMARY KEY,
    rule_id     BIGINT NOT NULL REFERENCES notification_rules (id) ON DELETE CASCADE,
    occurrence  TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    sim_id      BIGINT REFERENCES sims (id),
    at          BIGINT NOT NULL,
    details     TEXT NOT NULL,
    UNIQUE (rule_id, occurrence)
);

ALTER TABLE notifications ADD COLUMN event_id BIGINT REFERENCES notification_events (id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
CREATE INDEX notifications_user_unread ON notifications (user_id, read_at);

-- Email to send, written in the occurrence's transaction and sent by a worker after commit: a
-- crash between the two sends late, never never, and a claimed row is sent by one process.
CREATE TABLE notification_mail (
    id          INTEGER PRIMARY KEY,
    event_id    BIGINT NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    lang        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    claimed_at  BIGINT,
    sent_at     BIGINT,
    attempts    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notification_mail_pending ON notification_mail (sent_at, id);
