-- Names stored before the search form existed are filled in at start-up
-- (Db::backfill_name_fold). Without an index that check read every node on
-- every start; this index holds only rows still missing it (normally none).
CREATE INDEX nodes_name_fold_missing ON nodes (id) WHERE name_fold IS NULL;
