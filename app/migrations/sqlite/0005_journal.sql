-- The journal becomes tamper-evident: every entry carries the hash of its content chained to
-- the hash of the entry before it, and the head of the chain is kept in one row. Appending
-- updates that row first, so appenders queue behind each other and the chain follows the
-- order of the ids. Entries of older databases are hashed once at start-up (`hash` NULL).
ALTER TABLE journal ADD COLUMN ip TEXT;
ALTER TABLE journal ADD COLUMN hash TEXT;

CREATE TABLE journal_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    entries BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    hash    TEXT NOT NULL
);
INSERT INTO journal_head (id, entries, last_id, hash) VALUES (1, 0, 0, '');

-- The filters of the journal page, newest first within each.
CREATE INDEX journal_customer_id ON journal (customer_id, id);
CREATE INDEX journal_actor_id ON journal (actor_id, id);
CREATE INDEX journal_action_id ON journal (action, id);
CREATE INDEX journal_target_id ON journal (target, id);
CREATE INDEX journal_at ON journal (at);
DROP INDEX journal_customer;

-- Append-only: the portal has no statement that changes or removes an entry, and the database
-- refuses them too (only the one-time hashing of entries from before this migration).
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
WHEN OLD.hash IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
