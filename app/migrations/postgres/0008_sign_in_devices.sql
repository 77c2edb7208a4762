-- Finding whether a user signed in from a device before (the "new device" security event).
CREATE INDEX sign_in_log_user ON sign_in_log (user_id, result, user_agent);
