-- search-sqlite.sql - petition search on SQLite (FTS5 with the "holos"
-- tokenizer of src/search_sqlite.c), for the migration and the store to
-- take. docs/search.md explains the choices; tests/unit/test_search_sqlite.c
-- runs every statement below as written. Each "-- name:" starts one.
--
-- The connection must have the tokenizer: search_sqlite_register(db) right
-- after opening it, before the migration or any statement here.

-- name: schema
-- One row per public petition, rowid = petitions.id. Each column's value
-- comes from search_sqlite_document(), which puts the petition's language
-- in front of its text: that picks the analysis of its words.
CREATE VIRTUAL TABLE petition_search USING fts5(
	title, addressees, body,
	tokenize = 'holos'
);

-- name: index
-- On publish and on every edit. ?1 petitions.id; ?2 title, ?3 the addressees
-- (one per line), ?4 the Markdown text: each through search_sqlite_document()
-- with the petition's language.
INSERT OR REPLACE INTO petition_search (rowid, title, addressees, body)
VALUES (?1, ?2, ?3, ?4);

-- name: unindex
-- When a petition stops being public (hidden, withdrawn). The search
-- statements also check the state, so a late removal never shows one.
DELETE FROM petition_search WHERE rowid = ?1;

-- name: search
-- ?1 search_sqlite_match() of the query; ?2 LIMIT, ?3 OFFSET. Best first:
-- bm25 with a title word worth 10 of the text's, an addressee 4.
SELECT p.id, bm25(petition_search, 10.0, 4.0, 1.0) AS rank
  FROM petition_search
  JOIN petitions p ON p.id = petition_search.rowid
 WHERE petition_search MATCH ?1
   AND p.state IN ('open', 'closed', 'victory')
 ORDER BY rank, p.id DESC
 LIMIT ?2 OFFSET ?3;

-- name: count
SELECT count(*)
  FROM petition_search
  JOIN petitions p ON p.id = petition_search.rowid
 WHERE petition_search MATCH ?1
   AND p.state IN ('open', 'closed', 'victory');
