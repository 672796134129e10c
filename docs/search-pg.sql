-- search-pg.sql - petition search on PostgreSQL (a tsvector column with a
-- GIN index), for the migration and the store to take. docs/search.md
-- explains the choices; tests/unit/test_search_pg.c runs every statement
-- below as written on a real PostgreSQL. Each "-- name:" starts one.
--
-- The words are analysed in C (src/search_text.c), not by a text search
-- configuration: the tsvector and the tsquery are literals made by
-- search_pg_tsvector() and search_pg_tsquery(), so PostgreSQL holds and
-- looks for exactly the terms SQLite's FTS5 does (language-qualified
-- Snowball stems for en and ru, whole words matched by prefix for uk).

-- name: schema
ALTER TABLE petitions ADD COLUMN search tsvector NOT NULL DEFAULT '';
CREATE INDEX petitions_search ON petitions USING gin (search);

-- name: index
-- On publish and on every edit. $1 petitions.id; $2 search_pg_tsvector() of
-- the title (weight A), the addressees (B) and the Markdown text (C), in the
-- petition's language.
UPDATE petitions SET search = CAST($2 AS tsvector) WHERE id = $1;

-- name: unindex
-- When a petition stops being public. The search statements also check the
-- state, so a late removal never shows one.
UPDATE petitions SET search = '' WHERE id = $1;

-- name: search
-- $1 search_pg_tsquery() of the query; $2 LIMIT, $3 OFFSET. Best first:
-- cover density with the weights {D, C, B, A} = {0.1, 0.2, 0.4, 1.0}, so a
-- title word counts five times a word of the text.
SELECT p.id, ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', p.search, q) AS rank
  FROM petitions p, CAST($1 AS tsquery) AS q
 WHERE p.search @@ q
   AND p.state IN ('open', 'closed', 'victory')
 ORDER BY rank DESC, p.id DESC
 LIMIT $2 OFFSET $3;

-- name: count
SELECT count(*)
  FROM petitions p
 WHERE p.search @@ CAST($1 AS tsquery)
   AND p.state IN ('open', 'closed', 'victory');
