-- Search form of names: NFKC, lower case (full-width and half-width forms
-- match). Filled by Kura on every write; rows from before are filled once at
-- start-up (Db::migrate).
ALTER TABLE nodes ADD COLUMN name_fold TEXT;
CREATE INDEX nodes_search ON nodes (tenant_id, kind, modified_at);

-- Saved searches: a user's own, or shared with the whole tenant by an admin.
CREATE TABLE saved_searches (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    query           TEXT    NOT NULL,
    shared          BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX saved_searches_owner ON saved_searches (tenant_id, user_id);
