-- Password changes, expiry and admin-initiated resets.
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
UPDATE users SET password_changed_at = created_at WHERE password_hash IS NOT NULL;
-- One-time reset token (SHA-256 of it) and when it stops working.
ALTER TABLE users ADD COLUMN reset_token_hash TEXT;
ALTER TABLE users ADD COLUMN reset_expires_at BIGINT;
CREATE UNIQUE INDEX users_reset_token ON users (reset_token_hash) WHERE reset_token_hash IS NOT NULL;
-- Days a password may be used before it must be changed (NULL: no limit).
ALTER TABLE tenants ADD COLUMN password_max_age_days BIGINT;
