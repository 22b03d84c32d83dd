-- Which sign-in factors a tenant demands (0/1 flags), and the absolute
-- lifetime of its browser sessions (NULL: the server's default).
ALTER TABLE tenants ADD COLUMN otp_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN sso_only BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN client_cert_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN session_max_hours BIGINT;
