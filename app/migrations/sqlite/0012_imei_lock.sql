-- IMEI lock: each SIM's binding to a device. neutral: no binding; armed: binds to the next
-- device seen; locked: bound to lock_imei; differed: another device (lock_seen_imei) was seen
-- while locked, which raises the IMEI lock rules and stays until someone resolves it.
ALTER TABLE sims ADD COLUMN imei_lock TEXT NOT NULL DEFAULT 'neutral';
ALTER TABLE sims ADD COLUMN lock_imei TEXT;
ALTER TABLE sims ADD COLUMN lock_seen_imei TEXT;
-- The device an event record saw (IMEI or IMEISV), which feeds the lock.
ALTER TABLE edrs ADD COLUMN imei TEXT;
