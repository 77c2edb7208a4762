-- The time zone of the profile: every time the portal shows this user is in it (IANA name).
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
