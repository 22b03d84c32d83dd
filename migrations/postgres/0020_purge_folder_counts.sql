-- A purged folder's per-folder counts go before the folder does. ON DELETE
-- CASCADE deleted its files (whose triggers subtract them from those counts)
-- after the folder row was gone but while its counts were still there; the
-- second change to one such row within the purge then failed the row's
-- foreign key check (PostgreSQL checks a row that this transaction already
-- changed), so a trashed folder holding two files of one type or value
-- could never be purged.
CREATE FUNCTION search_facets_folder_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_facets WHERE folder_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER search_facets_folder_delete BEFORE DELETE ON nodes
FOR EACH ROW WHEN (OLD.kind = 'folder')
EXECUTE FUNCTION search_facets_folder_delete();
