-- CDRs accepted by the ingest API wait here, in arrival order, until the fold files them:
-- into `cdrs` in index order, with the rollups and the SIMs' counters, in one transaction that
-- also deletes them here. Ingest then writes one small table with one index instead of the
-- records' four indexes at random places (issue 7: ingest at 100,000 records per second).
-- A record id is in this table or in `cdrs`, never both.
CREATE TABLE cdr_inbox (
    id         INTEGER PRIMARY KEY,
    record_id  TEXT NOT NULL UNIQUE,
    sim_id     BIGINT NOT NULL REFERENCES sims (id),
    kind       TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL,
    bytes_up   BIGINT NOT NULL,
    bytes_down BIGINT NOT NULL,
    units      BIGINT NOT NULL,
    mcc_mnc    TEXT NOT NULL,
    rat        TEXT NOT NULL
);
