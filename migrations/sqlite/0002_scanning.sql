-- Virus scanning: each version records how it was scanned; the node mirrors
-- its current version's status (kept in the same transactions) so listings
-- need no join; detections are kept for tenant admins and the operator.

-- clean | unscanned | quarantined. Files stored before scanning existed are unscanned.
ALTER TABLE versions ADD COLUMN scan_status TEXT NOT NULL DEFAULT 'unscanned';
-- Engine and signature version, e.g. "ClamAV 1.4.6/27470/Tue Nov 24 09:33:02 2026".
ALTER TABLE versions ADD COLUMN scan_engine TEXT;
ALTER TABLE versions ADD COLUMN scanned_at BIGINT;
-- Why unscanned (scanning disabled, over the scan limit) or the signature that quarantined it.
ALTER TABLE versions ADD COLUMN scan_detail TEXT;

ALTER TABLE nodes ADD COLUMN scan_status TEXT;
UPDATE nodes SET scan_status = 'unscanned' WHERE kind = 'file';

-- What to do with a file longer than the scanner accepts: refuse | accept_unscanned.
ALTER TABLE tenants ADD COLUMN scan_oversize TEXT NOT NULL DEFAULT 'refuse';

CREATE TABLE detections (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT,
    ip              TEXT,
    path            TEXT    NOT NULL,
    signature       TEXT    NOT NULL,
    -- upload (refused at the door) | rescan (a stored version was quarantined)
    source          TEXT    NOT NULL,
    version_id      BIGINT,
    engine          TEXT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX detections_tenant ON detections (tenant_id, id);
