-- What ingested batches are to change on their SIMs' rows (cycle counters, last session and
-- network), written in the batch's transaction and folded into `sims` by the fold worker, which
-- takes and deletes entries in one transaction (issue 7: a durable queue in the database).
CREATE TABLE sim_usage_queue (
    id            INTEGER PRIMARY KEY,
    sim_id        BIGINT NOT NULL,
    -- The billing cycle (first day) the counters below belong to.
    cycle         BIGINT NOT NULL,
    data_bytes    BIGINT NOT NULL,
    sms           BIGINT NOT NULL,
    voice_seconds BIGINT NOT NULL,
    -- The batch's newest data session of the SIM, if any.
    session_at    BIGINT,
    mcc_mnc       TEXT,
    rat           TEXT
);
