-- Account security, second pass (issue 26).
-- Every password change and every new reset link moves the user's credential generation on;
-- a reset link is good only for the generation it was made in, so an older link, or one made
-- before the password last changed, no longer works. Links made before this column existed
-- carry generation -1 and are void.
ALTER TABLE users ADD COLUMN credential_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reset_tokens ADD COLUMN generation BIGINT NOT NULL DEFAULT -1;
-- When the session last proved it is its user (password or second factor) for a sensitive
-- change; such changes accept a proof of the last few minutes.
ALTER TABLE sessions ADD COLUMN reauth_at BIGINT;
-- The countries (ISO codes, comma separated) whose phone numbers the customer's users may
-- register for text messages; empty: any country.
ALTER TABLE customers ADD COLUMN sms_countries TEXT NOT NULL DEFAULT '';
