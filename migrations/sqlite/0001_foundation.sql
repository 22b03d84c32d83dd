-- Foundation schema: tenants, users, sessions, tokens, the node tree, versions, audit.
-- Timestamps are milliseconds since the Unix epoch (UTC) in BIGINT columns, so
-- the same SQL runs on SQLite and PostgreSQL.

CREATE TABLE tenants (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    capacity_bytes  BIGINT  NOT NULL,
    used_bytes      BIGINT  NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL DEFAULT 'active',
    keep_versions   BIGINT  NOT NULL DEFAULT 10,
    trash_days      BIGINT  NOT NULL DEFAULT 30,
    root_id         BIGINT,
    created_at      BIGINT  NOT NULL,
    CHECK (used_bytes >= 0)
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    login           TEXT    NOT NULL,
    login_key       TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    email           TEXT,
    role            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'active',
    password_hash   TEXT,
    created_at      BIGINT  NOT NULL,
    UNIQUE (tenant_id, login_key)
);

CREATE TABLE sessions (
    id_hash         TEXT    PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    last_seen_at    BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    ip              TEXT,
    user_agent      TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    token_hash      TEXT    NOT NULL UNIQUE,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT,
    last_used_at    BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE nodes (
    id                  INTEGER PRIMARY KEY,
    tenant_id           BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    parent_id           BIGINT  REFERENCES nodes(id) ON DELETE CASCADE,
    kind                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    name_key            TEXT    NOT NULL,
    size                BIGINT  NOT NULL DEFAULT 0,
    current_version_id  BIGINT,
    etag                TEXT    NOT NULL,
    content_type        TEXT,
    created_at          BIGINT  NOT NULL,
    modified_at         BIGINT  NOT NULL,
    modified_by         BIGINT,
    trashed_at          BIGINT,
    trashed_by          BIGINT
);
-- Names are unique per folder ignoring case, among items not in the trash.
CREATE UNIQUE INDEX nodes_live_name ON nodes (tenant_id, parent_id, name_key) WHERE trashed_at IS NULL;
CREATE INDEX nodes_parent ON nodes (parent_id);
CREATE INDEX nodes_trash ON nodes (tenant_id, trashed_at) WHERE trashed_at IS NOT NULL;

CREATE TABLE versions (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    node_id         BIGINT  NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    blob_key        TEXT    NOT NULL UNIQUE,
    size            BIGINT  NOT NULL,
    etag            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    created_by      BIGINT
);
CREATE INDEX versions_node ON versions (node_id, id);

-- Blobs whose metadata is gone but whose bytes may still exist: deleted after the
-- transaction that dropped them commits, retried by the janitor after a crash.
CREATE TABLE blob_deletions (
    blob_key        TEXT    PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT,
    user_id         BIGINT,
    action          TEXT    NOT NULL,
    target          TEXT,
    detail          TEXT,
    ip              TEXT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX audit_tenant_time ON audit_events (tenant_id, created_at);
