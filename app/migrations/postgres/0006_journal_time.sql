-- Journal times never go backwards along the chain: appending records at least the time of the
-- entry before (kept in the head). So a date range is an id range, found with one index seek.
ALTER TABLE journal_head ADD COLUMN last_at BIGINT NOT NULL DEFAULT 0;
UPDATE journal_head SET last_at = COALESCE((SELECT MAX(at) FROM journal), 0);
CREATE INDEX journal_at_id ON journal (at, id);
DROP INDEX journal_at;
