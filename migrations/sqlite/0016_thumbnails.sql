-- Background jobs and the thumbnails they make.
--
-- A job is claimed by any node with a compare-and-set UPDATE on its lease
-- (locked_until), so several nodes can drain the queue; a node that dies
-- mid-job loses its lease and another takes the job over when it expires.
-- Jobs go with their version (ON DELETE CASCADE).
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    -- thumbnail
    kind            TEXT    NOT NULL,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version_id      BIGINT  NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    run_after       BIGINT  NOT NULL,
    locked_until    BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    UNIQUE (kind, version_id)
);
CREATE INDEX jobs_due ON jobs (run_after, id);

-- Derived images of a version, one row per rendition size (the longest side
-- asked for). status: ok (blob_key holds the image) | original (the file is
-- its own thumbnail: small enough, and a format browsers show) | failed (not
-- decodable, over the limits, timed out) | unsupported (no renderer, too
-- large a source, or a thumbnail would be bigger than the file). Derived
-- blobs live under t/<tenant>/d/ and are queued for deletion with their version.
CREATE TABLE thumbnails (
    version_id      BIGINT  NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    size            BIGINT  NOT NULL,
    tenant_id       BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    blob_key        TEXT    UNIQUE,
    content_type    TEXT,
    width           BIGINT,
    height          BIGINT,
    bytes           BIGINT,
    detail          TEXT,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (version_id, size)
);
