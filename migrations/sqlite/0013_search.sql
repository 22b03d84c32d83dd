-- Search form of names: NFKC, lower case (full-width and half-width forms
-- match). Filled by Kura on every write; rows from before are filled once at
-- start-up (Db::migrate).
ALTER TABLE nodes ADD COLUMN name_fold TEXT;
CREATE INDEX nodes_search ON nodes (tenant_id, kind, modified_at);
