-- SIM management: list orders, status history, saved filters, per-user settings, customer
-- details, admin-defined SIM fields and background bulk jobs.

-- Every sortable column of the SIM list has an index ending in the id, so each page is a keyset
-- range scan (never OFFSET). Nullable columns sort through COALESCE, in the index and the query.
-- A status filter with the usual sort orders reads one range of these.
CREATE INDEX sims_status_iccid ON sims (status, iccid, id);
CREATE INDEX sims_status_data ON sims (status, cycle_data_bytes, id);
CREATE INDEX sims_status_last_session ON sims (status, (COALESCE(last_session_at, 0)), id);
CREATE INDEX sims_status_activated ON sims (status, (COALESCE(activated_at, 0)), id);
CREATE INDEX sims_customer_id ON sims (customer_id, id);
CREATE INDEX sims_label_id ON sims (label, id);
CREATE INDEX sims_imei_id ON sims ((COALESCE(imei, '')), id);
CREATE INDEX sims_service_id ON sims ((COALESCE(service_id, 0)), id);
CREATE INDEX sims_activated_id ON sims ((COALESCE(activated_at, 0)), id);
CREATE INDEX sims_last_session_id ON sims ((COALESCE(last_session_at, 0)), id);
CREATE INDEX sims_cycle_data_id ON sims (cycle_data_bytes, id);
CREATE INDEX sims_cycle_sms_id ON sims (cycle_sms, id);
CREATE INDEX sims_cycle_voice_id ON sims (cycle_voice_seconds, id);
CREATE INDEX sims_last_mcc_mnc ON sims (last_mcc_mnc);
CREATE INDEX sims_last_country ON sims (last_country);
CREATE INDEX customers_name ON customers (name, id);
CREATE INDEX customer_services_name ON customer_services (name, id);

-- Contacts, address and tags shown on the customer page (contact_email exists already).
ALTER TABLE customers ADD COLUMN contact_name TEXT;
ALTER TABLE customers ADD COLUMN contact_phone TEXT;
ALTER TABLE customers ADD COLUMN address TEXT;
ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '';

-- Every status a SIM has had; written in the transaction of the change.
CREATE TABLE sim_status_history (
    id          INTEGER PRIMARY KEY,
    sim_id      BIGINT NOT NULL REFERENCES sims (id),
    at          BIGINT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    job_id      BIGINT
);
CREATE INDEX sim_status_history_sim ON sim_status_history (sim_id, at);

-- Named SIM list filters of a user: the query string of the list.
CREATE TABLE saved_filters (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);

-- Small per-user choices, e.g. the SIM list's columns ('sim_columns' = 'iccid,status,...').
CREATE TABLE user_settings (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Extra SIM info fields an administrator defines for a customer tree.
CREATE TABLE sim_fields (
    id          INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    name        TEXT NOT NULL,
    -- 'text', 'number' or 'choice'
    kind        TEXT NOT NULL,
    -- allowed values of a 'choice' field, one per line
    choices     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (customer_id, name)
);

CREATE TABLE sim_field_values (
    sim_id   BIGINT NOT NULL REFERENCES sims (id),
    field_id BIGINT NOT NULL REFERENCES sim_fields (id) ON DELETE CASCADE,
    value    TEXT NOT NULL,
    PRIMARY KEY (sim_id, field_id)
);
CREATE INDEX sim_field_values_field ON sim_field_values (field_id, value);

-- Bulk changes run in the background. The SIMs of a job are fixed when it is created; each
-- item is applied and marked done in one transaction, so a restart resumes where it stopped
-- and never applies a change twice.
CREATE TABLE bulk_jobs (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    -- the creator's scope at creation time
    scope_path  TEXT NOT NULL,
    -- 'status', 'service' or 'assign'
    kind        TEXT NOT NULL,
    params      TEXT NOT NULL,
    -- the SIM list query the selection came from, for the job page
    query       TEXT NOT NULL DEFAULT '',
    total       BIGINT NOT NULL,
    done        BIGINT NOT NULL DEFAULT 0,
    skipped     BIGINT NOT NULL DEFAULT 0,
    -- 'queued', 'running', 'done', 'cancelled'
    state       TEXT NOT NULL,
    -- the worker that runs the job holds it until then; a crashed worker's job is taken over
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX bulk_jobs_state ON bulk_jobs (state);
CREATE INDEX bulk_jobs_customer ON bulk_jobs (customer_id, id);

CREATE TABLE bulk_job_items (
    job_id  BIGINT NOT NULL REFERENCES bulk_jobs (id),
    seq     BIGINT NOT NULL,
    sim_id  BIGINT NOT NULL,
    -- 'pending', 'done' or 'skipped' (with a reason)
    state   TEXT NOT NULL DEFAULT 'pending',
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);

-- SIMs per customer and status, kept in the transaction of every change of a SIM's status or
-- customer: unfiltered totals and the customer overview read these instead of counting.
CREATE TABLE sim_counts (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    status      TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (customer_id, status)
);
INSERT INTO sim_counts (customer_id, status, n) SELECT customer_id, status, COUNT(*) FROM sims GROUP BY customer_id, status;

-- The customer a usage record was made for (the SIM's owner at the time): customer CDR and
-- EDR lists read one index range per customer instead of visiting every SIM.
ALTER TABLE cdrs ADD COLUMN customer_id BIGINT;
UPDATE cdrs SET customer_id = (SELECT s.customer_id FROM sims s WHERE s.id = cdrs.sim_id);
CREATE INDEX cdrs_customer_time ON cdrs (customer_id, started_at);
ALTER TABLE edrs ADD COLUMN customer_id BIGINT;
UPDATE edrs SET customer_id = (SELECT s.customer_id FROM sims s WHERE s.id = edrs.sim_id);
CREATE INDEX edrs_customer_time ON edrs (customer_id, occurred_at);
