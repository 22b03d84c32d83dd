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

-- File name substrings: an FTS5 index of trigrams over the search form of
-- names, kept in step with nodes by triggers. Queries of three or more
-- characters use it; shorter ones scan (a trigram index cannot help them).
CREATE VIRTUAL TABLE nodes_name_fts USING fts5(name_fold, content = 'nodes', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO nodes_name_fts (rowid, name_fold) SELECT id, name_fold FROM nodes WHERE kind = 'file' AND name_fold IS NOT NULL;
CREATE TRIGGER nodes_name_fts_insert AFTER INSERT ON nodes
WHEN NEW.kind = 'file' AND NEW.name_fold IS NOT NULL
BEGIN
    INSERT INTO nodes_name_fts (rowid, name_fold) VALUES (NEW.id, NEW.name_fold);
END;
CREATE TRIGGER nodes_name_fts_delete AFTER DELETE ON nodes
WHEN OLD.kind = 'file' AND OLD.name_fold IS NOT NULL
BEGIN
    INSERT INTO nodes_name_fts (nodes_name_fts, rowid, name_fold) VALUES ('delete', OLD.id, OLD.name_fold);
END;
CREATE TRIGGER nodes_name_fts_update AFTER UPDATE OF name_fold ON nodes
WHEN NEW.kind = 'file'
BEGIN
    INSERT INTO nodes_name_fts (nodes_name_fts, rowid, name_fold)
        SELECT 'delete', OLD.id, OLD.name_fold WHERE OLD.name_fold IS NOT NULL;
    INSERT INTO nodes_name_fts (rowid, name_fold)
        SELECT NEW.id, NEW.name_fold WHERE NEW.name_fold IS NOT NULL;
END;

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
) WITHOUT ROWID;

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

CREATE TRIGGER search_facets_node_insert AFTER INSERT ON nodes
WHEN NEW.kind = 'file' AND NEW.trashed_at IS NULL AND NEW.scan_status <> 'quarantined'
BEGIN
    INSERT INTO search_facets (folder_id, attr_id, value, n)
        SELECT NEW.parent_id, 0, COALESCE(NEW.content_type, 'application/octet-stream'), 1 WHERE 1
        ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = n + 1;
END;

-- A file leaves its folder's counts (moved, trashed, quarantined, retyped)...
CREATE TRIGGER search_facets_node_leave AFTER UPDATE OF parent_id, trashed_at, scan_status, content_type ON nodes
WHEN OLD.kind = 'file' AND OLD.trashed_at IS NULL AND OLD.scan_status <> 'quarantined'
BEGIN
    UPDATE search_facets SET n = n - 1
        WHERE folder_id = OLD.parent_id AND attr_id = 0
          AND value = COALESCE(OLD.content_type, 'application/octet-stream');
    UPDATE search_facets SET n = n - 1
        WHERE folder_id = OLD.parent_id AND attr_id <> 0 AND (attr_id, value) IN (
            SELECT v.attr_id, v.text_value FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
            WHERE v.node_id = OLD.id AND d.type IN ('choice', 'multi_choice'));
END;

-- ...and enters them again as it is now.
CREATE TRIGGER search_facets_node_enter AFTER UPDATE OF parent_id, trashed_at, scan_status, content_type ON nodes
WHEN NEW.kind = 'file' AND NEW.trashed_at IS NULL AND NEW.scan_status <> 'quarantined'
BEGIN
    INSERT INTO search_facets (folder_id, attr_id, value, n)
        SELECT NEW.parent_id, 0, COALESCE(NEW.content_type, 'application/octet-stream'), 1 WHERE 1
        ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = n + 1;
    INSERT INTO search_facets (folder_id, attr_id, value, n)
        SELECT NEW.parent_id, v.attr_id, v.text_value, 1 FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
        WHERE v.node_id = NEW.id AND d.type IN ('choice', 'multi_choice') AND v.text_value IS NOT NULL
        ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = n + 1;
END;

-- A counted file deleted: its values go first (their trigger subtracts them
-- while the file still says which folder it is in), then its media type.
CREATE TRIGGER search_facets_node_delete BEFORE DELETE ON nodes
WHEN OLD.kind = 'file' AND OLD.trashed_at IS NULL AND OLD.scan_status <> 'quarantined'
BEGIN
    DELETE FROM attribute_values WHERE node_id = OLD.id;
    UPDATE search_facets SET n = n - 1
        WHERE folder_id = OLD.parent_id AND attr_id = 0
          AND value = COALESCE(OLD.content_type, 'application/octet-stream');
END;

CREATE TRIGGER search_facets_value_insert AFTER INSERT ON attribute_values
WHEN NEW.text_value IS NOT NULL
BEGIN
    INSERT INTO search_facets (folder_id, attr_id, value, n)
        SELECT n.parent_id, NEW.attr_id, NEW.text_value, 1 FROM nodes n, attribute_defs d
        WHERE n.id = NEW.node_id AND d.id = NEW.attr_id AND d.type IN ('choice', 'multi_choice')
          AND n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined'
        ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER search_facets_value_delete AFTER DELETE ON attribute_values
WHEN OLD.text_value IS NOT NULL
BEGIN
    UPDATE search_facets SET n = n - 1
        WHERE attr_id = OLD.attr_id AND value = OLD.text_value AND folder_id = (
            SELECT n.parent_id FROM nodes n, attribute_defs d
            WHERE n.id = OLD.node_id AND d.id = OLD.attr_id AND d.type IN ('choice', 'multi_choice')
              AND n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined');
END;

-- A renamed choice (PATCH /attributes/{key} with choice renames).
CREATE TRIGGER search_facets_value_update AFTER UPDATE OF node_id, attr_id, text_value ON attribute_values
BEGIN
    UPDATE search_facets SET n = n - 1
        WHERE attr_id = OLD.attr_id AND value = OLD.text_value AND folder_id = (
            SELECT n.parent_id FROM nodes n, attribute_defs d
            WHERE n.id = OLD.node_id AND d.id = OLD.attr_id AND d.type IN ('choice', 'multi_choice')
              AND n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined');
    INSERT INTO search_facets (folder_id, attr_id, value, n)
        SELECT n.parent_id, NEW.attr_id, NEW.text_value, 1 FROM nodes n, attribute_defs d
        WHERE n.id = NEW.node_id AND d.id = NEW.attr_id AND d.type IN ('choice', 'multi_choice')
          AND NEW.text_value IS NOT NULL
          AND n.kind = 'file' AND n.trashed_at IS NULL AND n.scan_status <> 'quarantined'
        ON CONFLICT (folder_id, attr_id, value) DO UPDATE SET n = n + 1;
END;
