-- Resumable uploads (tus 1.0.0). The state lives here and in the blob store
-- (each stored piece is its own object under the tenant's prefix), never in
-- one node's memory, so any node can continue an upload.
CREATE TABLE uploads (
    id              TEXT    PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Folder path and file name as validated at creation.
    parent_path     TEXT    NOT NULL,
    filename        TEXT    NOT NULL,
    -- 'version', 'rename' or 'fail'.
    on_conflict     TEXT    NOT NULL,
    -- Attribute values (a JSON object) to set at the commit, or NULL.
    attributes      TEXT,
    -- The Upload-Metadata header as sent (HEAD answers it back).
    metadata        TEXT    NOT NULL,
    length          BIGINT  NOT NULL,
    -- Bytes stored so far; advanced only by compare-and-set.
    upload_offset   BIGINT  NOT NULL DEFAULT 0,
    -- While a node commits the finished upload, until when it holds it.
    claimed_until   BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX uploads_expires ON uploads (expires_at);

-- The stored pieces of an upload, in offset order. A piece is recorded in
-- the same transaction that advances the upload's offset.
CREATE TABLE upload_parts (
    upload_id       TEXT    NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    part_offset     BIGINT  NOT NULL,
    size            BIGINT  NOT NULL,
    blob_key        TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (upload_id, part_offset)
);

-- Download tickets for streamed ZIP archives (valid for minutes, for the
-- user who asked only), keyed by a hash of the token in the URL.
CREATE TABLE zip_tickets (
    token_hash      TEXT    PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- JSON array of the requested paths.
    paths           TEXT    NOT NULL,
    -- 'utf8' or 'cp932'.
    name_encoding   TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX zip_tickets_expires ON zip_tickets (expires_at);
