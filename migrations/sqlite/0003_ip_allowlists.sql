-- Per-tenant IP allowlists: comma-separated CIDR ranges (IPv4 and IPv6).
-- NULL means no restriction. ip_allow applies to everyone in the tenant;
-- ip_allow_admin is an optional stricter list for tenant admins (and, on the
-- system tenant, for the operator).
ALTER TABLE tenants ADD COLUMN ip_allow TEXT;
ALTER TABLE tenants ADD COLUMN ip_allow_admin TEXT;
