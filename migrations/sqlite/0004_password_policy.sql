-- Password policy and lockout, per tenant (NIST SP 800-63B: length and a
-- common-password check, no composition rules).
ALTER TABLE tenants ADD COLUMN password_min_length BIGINT NOT NULL DEFAULT 12;
-- Failed sign-ins in a row that lock an account, and for how long.
ALTER TABLE tenants ADD COLUMN lockout_threshold BIGINT NOT NULL DEFAULT 10;
ALTER TABLE tenants ADD COLUMN lockout_minutes BIGINT NOT NULL DEFAULT 15;

ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
