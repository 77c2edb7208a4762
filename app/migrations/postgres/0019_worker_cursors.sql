-- Where a background worker that follows a table has got to. The notification worker follows
-- the journal (`notify.journal`): the rules that watch journaled events (SIM status changes,
-- security events) are raised by it, after the change's transaction, once per entry. Entries
-- written before this migration were evaluated as they were written, so it starts at the end.
CREATE TABLE worker_cursors (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
INSERT INTO worker_cursors (name, position) SELECT 'notify.journal', COALESCE(MAX(id), 0) FROM journal;
