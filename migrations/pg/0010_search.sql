-- 0010_search: the search index (docs/search.md). Each public petition's
-- terms, analysed in C (src/search_text.c) and written by the store as a
-- tsvector literal (title A, addressees B, text C); '' for a petition that
-- is not public. The petitions already here are indexed by the store in
-- this migration's transaction.
ALTER TABLE petitions ADD COLUMN search tsvector NOT NULL DEFAULT '';
CREATE INDEX petitions_search ON petitions USING gin (search);
