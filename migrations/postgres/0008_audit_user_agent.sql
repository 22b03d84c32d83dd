-- Authentication events record the client's user agent too.
ALTER TABLE audit_events ADD COLUMN user_agent TEXT;
