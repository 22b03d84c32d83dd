-- The live files holding a choice, tenant-wide, from the per-folder counts:
-- the search planner's estimate of a choice term (Db::plan_search). Counting
-- the term's value rows instead took 6-9 ms per term over a million files;
-- this sums one index range (under 1 ms).
CREATE INDEX IF NOT EXISTS search_facets_values ON search_facets (attr_id, value, n);
