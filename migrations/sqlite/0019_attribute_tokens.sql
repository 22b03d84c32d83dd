-- Search tokens (SQLite): every file's choice, boolean and date values as
-- one document of an FTS5 index, the same tokens as PostgreSQL's
-- `nodes.attr_tokens` (migrations/postgres/0019_attribute_tokens.sql):
--   choice, multiple choice: '<attr id>=<value>'
--   boolean:                 '<attr id>#0:<0 or 1>'
--   date (days since 1970):  '<attr id>#<s>:<days >> s>' for s in 0, 4, 8, 12
-- each written as 'x' and the lowercase hex of its UTF-8 bytes, so that the
-- `ascii` tokenizer keeps it whole whatever the value holds.
--
-- Why: a two-choice filter over 1M files merged two lists of 125,000 and
-- 167,000 value rows through the value index, 55 ms on its own; FTS5
-- intersects the same lists as compressed doclists in 12 ms (and an id
-- range of them, for a search in parts, in half that).
--
-- `node_token_docs` holds each file's document and is the FTS table's
-- external content, kept in step by the usual triggers (FTS5 needs the old
-- text to remove a document). Kura rewrites the documents of the files
-- whose values a statement changed (crates/db/src/tokens.rs), once per
-- statement rather than per value row; a deleted file's document goes with
-- it (trigger below).
CREATE TABLE node_token_docs (
    node_id     INTEGER PRIMARY KEY,
    t           TEXT    NOT NULL
);

CREATE VIRTUAL TABLE node_tokens USING fts5(
    t, content = 'node_token_docs', content_rowid = 'node_id',
    tokenize = 'ascii', detail = none, columnsize = 0
);

CREATE TRIGGER node_token_docs_insert AFTER INSERT ON node_token_docs BEGIN
    INSERT INTO node_tokens (rowid, t) VALUES (NEW.node_id, NEW.t);
END;
CREATE TRIGGER node_token_docs_delete AFTER DELETE ON node_token_docs BEGIN
    INSERT INTO node_tokens (node_tokens, rowid, t) VALUES ('delete', OLD.node_id, OLD.t);
END;
CREATE TRIGGER node_token_docs_update AFTER UPDATE ON node_token_docs BEGIN
    INSERT INTO node_tokens (node_tokens, rowid, t) VALUES ('delete', OLD.node_id, OLD.t);
    INSERT INTO node_tokens (rowid, t) VALUES (NEW.node_id, NEW.t);
END;

-- Node ids may be reused after the largest is deleted: a document never
-- outlives its file.
CREATE TRIGGER node_token_docs_node_delete AFTER DELETE ON nodes
WHEN OLD.kind = 'file'
BEGIN
    DELETE FROM node_token_docs WHERE node_id = OLD.id;
END;

-- The files that already have values.
INSERT INTO node_token_docs (node_id, t)
SELECT node_id, group_concat(tok, ' ') FROM (
    SELECT v.node_id AS node_id, 'x' || lower(hex(v.attr_id || '=' || v.text_value)) AS tok
    FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
    WHERE d.type IN ('choice', 'multi_choice') AND v.text_value IS NOT NULL
    UNION ALL
    SELECT v.node_id, 'x' || lower(hex(v.attr_id || '#' || s.shift || ':' || (CAST(v.num_value AS INTEGER) >> s.shift)))
    FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
    JOIN (SELECT 0 AS shift UNION ALL SELECT 4 UNION ALL SELECT 8 UNION ALL SELECT 12) s
    WHERE v.num_value IS NOT NULL AND (d.type = 'date' OR (d.type = 'boolean' AND s.shift = 0))
) x GROUP BY node_id;
