-- Facet counts per tenant: the per-folder counts (search_facets) added up
-- over all of a tenant's folders, live or in the trash. A search of the
-- whole tenant without filters reads these few rows and takes away the
-- counts of the folders inside trashed folders (the trash is small next to
-- the archive), instead of walking every live folder and grouping their
-- rows: on a million files the walk and the grouping took 60-110 ms per
-- facet on SQLite, which runs a statement on one core (bench/search.py).
-- PostgreSQL sums the per-folder rows fast enough and has no such table.
CREATE TABLE search_facets_tenant (
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    attr_id         BIGINT  NOT NULL,
    value           TEXT    NOT NULL,
    n               BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, attr_id, value)
) WITHOUT ROWID;

INSERT INTO search_facets_tenant (tenant_id, attr_id, value, n)
    SELECT p.tenant_id, f.attr_id, f.value, SUM(f.n) FROM search_facets f JOIN nodes p ON p.id = f.folder_id
    GROUP BY p.tenant_id, f.attr_id, f.value;

-- Kept in step with the per-folder counts by triggers on them, so whatever
-- changes those (every trigger of 0014) changes these by as much.
CREATE TRIGGER search_facets_tenant_insert AFTER INSERT ON search_facets
WHEN NEW.n <> 0
BEGIN
    INSERT INTO search_facets_tenant (tenant_id, attr_id, value, n)
        SELECT p.tenant_id, NEW.attr_id, NEW.value, NEW.n FROM nodes p WHERE p.id = NEW.folder_id
        ON CONFLICT (tenant_id, attr_id, value) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER search_facets_tenant_update AFTER UPDATE OF n ON search_facets
WHEN NEW.n <> OLD.n
BEGIN
    INSERT INTO search_facets_tenant (tenant_id, attr_id, value, n)
        SELECT p.tenant_id, NEW.attr_id, NEW.value, NEW.n - OLD.n FROM nodes p WHERE p.id = NEW.folder_id
        ON CONFLICT (tenant_id, attr_id, value) DO UPDATE SET n = n + excluded.n;
END;

-- A folder deleted (a purge from the trash): its counts leave the tenant's
-- and go, while the folder is still there. ON DELETE CASCADE would take the
-- per-folder rows only once the folder row is gone, when a trigger on them
-- could no longer tell the tenant; its files, deleted by the cascade after
-- it, then find no rows to change.
CREATE TRIGGER search_facets_tenant_folder_delete BEFORE DELETE ON nodes
WHEN OLD.kind = 'folder'
BEGIN
    UPDATE search_facets_tenant SET n = n - (
        SELECT f.n FROM search_facets f
        WHERE f.folder_id = OLD.id AND f.attr_id = search_facets_tenant.attr_id AND f.value = search_facets_tenant.value)
    WHERE tenant_id = OLD.tenant_id AND (attr_id, value) IN (
        SELECT f.attr_id, f.value FROM search_facets f WHERE f.folder_id = OLD.id);
    DELETE FROM search_facets WHERE folder_id = OLD.id;
END;

-- The planner's estimate of a choice term now reads the tenant's row
-- (Db::plan_search): one index range less to keep up on every change.
DROP INDEX IF EXISTS search_facets_values;
