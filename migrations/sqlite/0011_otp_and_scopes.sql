-- One-time passcodes: the confirmed secret, the last accepted step (a code
-- is accepted once), and a secret waiting for its first code.
ALTER TABLE users ADD COLUMN otp_secret TEXT;
ALTER TABLE users ADD COLUMN otp_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN otp_last_step BIGINT;
ALTER TABLE users ADD COLUMN otp_pending_secret TEXT;

-- Single-use recovery codes, stored as SHA-256 of their (random) text.
CREATE TABLE otp_recovery_codes (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash       TEXT    NOT NULL,
    used_at         BIGINT
);
CREATE INDEX otp_recovery_codes_user ON otp_recovery_codes (user_id);

-- A session's stage: 'full', or half signed in: 'otp' (a passcode is due) or
-- 'enrol' (the tenant requires OTP and the user must set it up first).
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
ALTER TABLE sessions ADD COLUMN otp_failures BIGINT NOT NULL DEFAULT 0;

-- App passwords: 'read_write' or 'read_only'.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read_write';
