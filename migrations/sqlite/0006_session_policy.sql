-- A tenant's own idle timeout for browser sessions (NULL: the server default).
ALTER TABLE tenants ADD COLUMN session_idle_minutes BIGINT;
