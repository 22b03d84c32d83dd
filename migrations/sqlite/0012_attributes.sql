-- Custom search attributes: each tenant's schema, and the values of files
-- and folders. Archived definitions keep their values.
CREATE TABLE attribute_defs (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key             TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    label_ja        TEXT    NOT NULL,
    label_en        TEXT    NOT NULL,
    required        BIGINT  NOT NULL DEFAULT 0,
    default_value   TEXT,
    choices         TEXT    NOT NULL DEFAULT '[]',
    position        BIGINT  NOT NULL DEFAULT 0,
    folder_id       BIGINT  REFERENCES nodes(id) ON DELETE SET NULL,
    archived_at     BIGINT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE UNIQUE INDEX attribute_defs_live_key ON attribute_defs (tenant_id, key) WHERE archived_at IS NULL;

-- One row per value (a multiple choice: one row per chosen value), typed so
-- that searches use an index: text and choices in text_value (fold_value is
-- its search form), numbers, dates (days since 1970) and booleans (0/1) in
-- num_value.
CREATE TABLE attribute_values (
    tenant_id       BIGINT  NOT NULL,
    node_id         BIGINT  NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    attr_id         BIGINT  NOT NULL REFERENCES attribute_defs(id) ON DELETE CASCADE,
    text_value      TEXT,
    fold_value      TEXT,
    num_value       REAL
);
CREATE INDEX attribute_values_node ON attribute_values (node_id, attr_id);
CREATE INDEX attribute_values_text ON attribute_values (attr_id, text_value);
CREATE INDEX attribute_values_num ON attribute_values (attr_id, num_value);
