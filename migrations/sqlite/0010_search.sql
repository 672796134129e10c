-- 0010_search: the search index (docs/search.md). One FTS5 row per public
-- petition, rowid = petitions.id; each column's value starts with the
-- petition's language tag, which the "holos" tokenizer (src/search_sqlite.c,
-- registered on every connection) reads to choose the analysis. The store
-- writes a petition's row when it is created, edited or becomes public and
-- removes it when it stops being public; the petitions already here are
-- indexed by the store in this migration's transaction.
CREATE VIRTUAL TABLE petition_search USING fts5(
	title, addressees, body,
	tokenize = 'holos'
);
