-- 0001_init: petitions, addressees, signatures and per-node counts.
-- PostgreSQL twin of migrations/sqlite/0001_init.sql: same tables and
-- columns; BIGSERIAL for rowids, BIGINT unix seconds, BYTEA for blobs,
-- BOOLEAN for flags.
CREATE TABLE petitions (
	id          BIGSERIAL PRIMARY KEY,
	slug        TEXT NOT NULL UNIQUE,
	title       TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	lang        TEXT NOT NULL,
	goal        BIGINT NOT NULL CHECK (goal > 0),
	state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN
	    ('draft', 'pending', 'open', 'closed', 'victory', 'rejected', 'hidden')),
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	closes_at   BIGINT
);

CREATE TABLE addressees (
	petition_id BIGINT NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
	pos         INTEGER NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (petition_id, pos)
);

-- Personal data (names, email, IP) lives only inside pii, sealed with the
-- site key; email_hash is a keyed hash of the normalised address and finds
-- duplicates without revealing it: the unique index decides, whichever node
-- inserts first. seq numbers a petition's signatures in the order they were
-- committed: the order of the verifiable log. Rows are only appended (and
-- their state moved); nothing counts by updating a shared row.
CREATE TABLE signatures (
	id           BIGSERIAL PRIMARY KEY,
	petition_id  BIGINT NOT NULL REFERENCES petitions(id),
	seq          BIGINT NOT NULL,
	email_hash   BYTEA NOT NULL,
	pii          BYTEA,
	country      TEXT NOT NULL,
	public_name  BOOLEAN NOT NULL DEFAULT false,
	updates      BOOLEAN NOT NULL DEFAULT false,
	comment      TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'invalid')),
	created_at   BIGINT NOT NULL,
	confirmed_at BIGINT,
	UNIQUE (petition_id, email_hash),
	UNIQUE (petition_id, seq)
);

-- One counter row per petition and node, advanced in the transaction that
-- confirms signatures: each node writes only its own row, so no row is hot
-- across nodes; the count is the sum.
CREATE TABLE petition_counts (
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	node        TEXT NOT NULL,
	confirmed   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (petition_id, node)
);
