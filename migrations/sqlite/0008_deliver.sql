-- 0008_deliver: handing petitions over. Addressees' email addresses
-- (sealed, never shown), deliveries with their response links, responses
-- waiting for a moderator, what milestone and end mail has been queued,
-- and signatures collected on paper.

ALTER TABLE addressees ADD COLUMN email_sealed BLOB;

-- delivered_at: the first delivery (the public clock runs from it);
-- goal_mailed: the highest goal the starter was mailed about; end_mailed:
-- the end state ('closed', 'victory') whose mail to signers is queued.
ALTER TABLE petitions ADD COLUMN delivered_at INTEGER;
ALTER TABLE petitions ADD COLUMN goal_mailed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE petitions ADD COLUMN end_mailed TEXT NOT NULL DEFAULT '';

-- One letter to one addressee; token_hash is the keyed hash of the secret
-- in its links (the pack until expires_at, the response page).
CREATE TABLE deliveries (
	id          INTEGER PRIMARY KEY,
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	pos         INTEGER NOT NULL,
	name        TEXT NOT NULL,
	token_hash  BLOB NOT NULL UNIQUE,
	count       INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	UNIQUE (petition_id, pos)
);

-- A decision maker's answer, written through the response link; shown
-- once approved (then it is an update of kind 'response').
CREATE TABLE responses (
	id          INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	author      TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
	created_at  INTEGER NOT NULL,
	decided_at  INTEGER,
	update_id   INTEGER REFERENCES updates(id)
);
CREATE INDEX responses_petition ON responses (petition_id, state);

-- Signatures on paper, counted apart from the online ones.
CREATE TABLE paper_batches (
	id          INTEGER PRIMARY KEY,
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	count       INTEGER NOT NULL CHECK (count > 0),
	day         TEXT NOT NULL,
	place       TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	scan        TEXT NOT NULL DEFAULT '',
	actor       TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	removed_at  INTEGER,
	removed_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX paper_batches_petition ON paper_batches (petition_id);
