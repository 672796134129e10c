-- 0001_init: petitions, addressees, signatures and per-node counts.
CREATE TABLE petitions (
	id          INTEGER PRIMARY KEY,
	slug        TEXT NOT NULL UNIQUE,
	title       TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	lang        TEXT NOT NULL,
	goal        INTEGER NOT NULL CHECK (goal > 0),
	state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN
	    ('draft', 'pending', 'open', 'closed', 'victory', 'rejected', 'hidden')),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	closes_at   INTEGER
);

CREATE TABLE addressees (
	petition_id INTEGER NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
	pos         INTEGER NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (petition_id, pos)
);

-- Personal data (names, email, IP) lives only inside pii, sealed with the
-- site key; email_hash is a keyed hash of the normalised address and finds
-- duplicates without revealing it. seq numbers a petition's signatures in
-- the order they were committed: the order of the verifiable log.
CREATE TABLE signatures (
	id           INTEGER PRIMARY KEY,
	petition_id  INTEGER NOT NULL REFERENCES petitions(id),
	seq          INTEGER NOT NULL,
	email_hash   BLOB NOT NULL,
	pii          BLOB,
	country      TEXT NOT NULL,
	public_name  INTEGER NOT NULL DEFAULT 0,
	updates      INTEGER NOT NULL DEFAULT 0,
	comment      TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'invalid')),
	created_at   INTEGER NOT NULL,
	confirmed_at INTEGER,
	UNIQUE (petition_id, email_hash),
	UNIQUE (petition_id, seq)
);

-- One counter row per petition and node, advanced in the transaction that
-- confirms signatures: no single hot row, the count is the sum.
CREATE TABLE petition_counts (
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	node        TEXT NOT NULL,
	confirmed   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (petition_id, node)
);
