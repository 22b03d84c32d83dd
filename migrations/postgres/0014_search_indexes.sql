-- Search at the scale of millions of files (issue 5, bench/search.py).

-- Attribute filters read node ids straight from the index.
DROP INDEX attribute_values_text;
DROP INDEX attribute_values_num;
CREATE INDEX attribute_values_text ON attribute_values (attr_id, text_value, node_id);
CREATE INDEX attribute_values_num ON attribute_values (attr_id, num_value, node_id);

-- The live folders of a subtree, found without walking through their files.
CREATE INDEX nodes_live_folders ON nodes (parent_id) WHERE kind = 'folder' AND trashed_at IS NULL;

-- A whole tenant's files in name or size order (modified: nodes_search).
CREATE INDEX nodes_file_name ON nodes (tenant_id, kind, name_key);
CREATE INDEX nodes_file_size ON nodes (tenant_id, kind, size);

-- File name substrings: a trigram GIN index (pg_trgm). pg_trgm ships with
-- PostgreSQL and is a trusted extension (a database owner may create it);
-- where it cannot be created, searches still work, by scan. Text attribute
-- values get no trigram index: on ten million value rows it made every value
-- write three times slower (bench/search.py generation), for the one rare
-- query (`contains` on a text attribute) that scans that attribute's values.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): substring searches will scan', SQLERRM;
END $$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX nodes_name_trgm ON nodes USING gin (name_fold gin_trgm_ops) WHERE kind = 'file';
    END IF;
END $$;

-- Facet counts per folder: how many searchable files (live, not
-- quarantined) directly in each folder have each media type (attr_id 0) and
-- each value of each choice attribute. A search without filters adds up the
-- rows of the live folders of its scope instead of counting a million files.
-- Triggers keep it exact whatever writes the rows (every code path, the
-- benchmark's generator, a restore from backup); the rows of a folder go
-- with it.
CREATE TABLE search_facets (
    folder_id       BIGINT  NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    attr_id         BIGINT  NOT NULL,
    value           TEXT    NOT NULL,
    n               BIGINT  NOT NULL,
    PRIMARY KEY (folder_id, attr_id, value)
);

INSERT INTO search_facets (folder_id, attr_id, value, n)
    SELECT parent_id, 0, COALESCE(content_type, 'application/octet-stream'), COUNT(*) FROM nodes
    WHERE kind = 'file' AND trashed_at IS NULL AND scan_status <> 'quarantined'
    GROUP BY parent_id, COALESCE(content_type, 'application/octet-stream');
INSERT INTO search_facets (folder_id, attr_id, value, n)
    SELECT n.parent_id, v.attr_id, v.text_value, COUNT(*) FROM attribute_values v
    JOIN nodes n ON n.id = v.node_id JOIN attribute_defs d ON d.id = v.attr_id
    WHERE n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined'
      AND d.type IN ('choice', 'multi_choice') AND v.text_value IS NOT NULL
    GROUP BY n.parent_id, v.attr_id, v.text_value;

-- Adds `delta` to the counts of one file's media type and choice values in
-- `folder`.
CREATE FUNCTION search_facets_add(node BIGINT, folder BIGINT, ctype TEXT, delta BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_facets (folder_id, attr_id, value, n)
        SELECT folder, a, t, SUM(delta) FROM (
            SELECT CAST(0 AS BIGINT) AS a, COALESCE(ctype, 'application/octet-stream') AS t
            UNION ALL
            SELECT v.attr_id, v.text_value FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
            WHERE v.node_id = node AND d.type IN ('choice', 'multi_choice') AND v.text_value IS NOT NULL) c
        GROUP BY a, t ORDER BY a, t
        ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = search_facets.n + EXCLUDED.n;
END $$;

CREATE FUNCTION search_facets_node_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_facets_add(NEW.id, NEW.parent_id, NEW.content_type, 1);
    RETURN NULL;
END $$;
CREATE TRIGGER search_facets_node_insert AFTER INSERT ON nodes
FOR EACH ROW WHEN (NEW.kind = 'file' AND NEW.trashed_at IS NULL AND NEW.scan_status <> 'quarantined')
EXECUTE FUNCTION search_facets_node_insert();

-- A file moved, trashed, restored, quarantined or retyped leaves its old
-- counts and enters the new ones.
CREATE FUNCTION search_facets_node_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.kind = 'file' AND OLD.trashed_at IS NULL AND OLD.scan_status <> 'quarantined' THEN
        PERFORM search_facets_add(OLD.id, OLD.parent_id, OLD.content_type, -1);
    END IF;
    IF NEW.kind = 'file' AND NEW.trashed_at IS NULL AND NEW.scan_status <> 'quarantined' THEN
        PERFORM search_facets_add(NEW.id, NEW.parent_id, NEW.content_type, 1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_facets_node_update AFTER UPDATE OF parent_id, trashed_at, scan_status, content_type ON nodes
FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.trashed_at IS DISTINCT FROM NEW.trashed_at
    OR OLD.scan_status IS DISTINCT FROM NEW.scan_status OR OLD.content_type IS DISTINCT FROM NEW.content_type)
EXECUTE FUNCTION search_facets_node_update();

-- A counted file deleted: its values go first (their trigger subtracts them
-- while the file still says which folder it is in), then its media type.
CREATE FUNCTION search_facets_node_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM attribute_values WHERE node_id = OLD.id;
    UPDATE search_facets SET n = n - 1
        WHERE folder_id = OLD.parent_id AND attr_id = 0
          AND value = COALESCE(OLD.content_type, 'application/octet-stream');
    RETURN OLD;
END $$;
CREATE TRIGGER search_facets_node_delete BEFORE DELETE ON nodes
FOR EACH ROW WHEN (OLD.kind = 'file' AND OLD.trashed_at IS NULL AND OLD.scan_status <> 'quarantined')
EXECUTE FUNCTION search_facets_node_delete();

-- Values: statement triggers with transition tables, so a bulk edit or a
-- bulk load costs one grouped statement, not one per row. Each changed row
-- finds its file by primary key in a LATERAL subquery (OFFSET 0 keeps it
-- from being flattened): without statistics on the transition table the
-- planner otherwise chose to rescan it once per file, which took minutes
-- for a 500,000-row COPY.
CREATE FUNCTION search_facets_values_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE search_facets f SET n = f.n - c.k FROM (
            SELECT x.parent_id, o.attr_id, o.text_value, COUNT(*) AS k FROM old_values o
            CROSS JOIN LATERAL (
                SELECT n.parent_id FROM nodes n, attribute_defs d
                WHERE n.id = o.node_id AND d.id = o.attr_id AND d.type IN ('choice', 'multi_choice')
                  AND n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined'
                OFFSET 0) x
            WHERE o.text_value IS NOT NULL
            GROUP BY x.parent_id, o.attr_id, o.text_value) c
        WHERE f.folder_id = c.parent_id AND f.attr_id = c.attr_id AND f.value = c.text_value;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search_facets (folder_id, attr_id, value, n)
            SELECT x.parent_id, v.attr_id, v.text_value, COUNT(*) FROM new_values v
            CROSS JOIN LATERAL (
                SELECT n.parent_id FROM nodes n, attribute_defs d
                WHERE n.id = v.node_id AND d.id = v.attr_id AND d.type IN ('choice', 'multi_choice')
                  AND n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined'
                OFFSET 0) x
            WHERE v.text_value IS NOT NULL
            GROUP BY x.parent_id, v.attr_id, v.text_value
            ORDER BY 1, 2, 3
            ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = search_facets.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_facets_values_insert AFTER INSERT ON attribute_values
REFERENCING NEW TABLE AS new_values FOR EACH STATEMENT EXECUTE FUNCTION search_facets_values_changed();
CREATE TRIGGER search_facets_values_delete AFTER DELETE ON attribute_values
REFERENCING OLD TABLE AS old_values FOR EACH STATEMENT EXECUTE FUNCTION search_facets_values_changed();
CREATE TRIGGER search_facets_values_update AFTER UPDATE ON attribute_values
REFERENCING OLD TABLE AS old_values NEW TABLE AS new_values FOR EACH STATEMENT EXECUTE FUNCTION search_facets_values_changed();
