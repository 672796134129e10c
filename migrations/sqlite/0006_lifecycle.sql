-- 0006_lifecycle: petitions started by people, their moderation and life,
-- the links that verify an account or reset its password, and updates to
-- signers.

-- A starter's public name and the language their mail is written in.
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- Who started a petition (NULL: imported by an operator); reason and note
-- of its last transition (a rejection's reason from the list and the
-- moderator's note, a hiding's reason, a victory's note).
ALTER TABLE petitions ADD COLUMN owner_id INTEGER REFERENCES users(id);
ALTER TABLE petitions ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE petitions ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX petitions_owner ON petitions (owner_id);
CREATE INDEX petitions_state ON petitions (state, updated_at);

-- Single-use secrets mailed to an account holder: only their hash is kept.
CREATE TABLE user_tokens (
	hash       BLOB PRIMARY KEY,
	purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- Every change of a petition's state: from, to, who, when, why.
CREATE TABLE transitions (
	id          INTEGER PRIMARY KEY,
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	from_state  TEXT NOT NULL,
	to_state    TEXT NOT NULL,
	actor       TEXT NOT NULL,
	reason      TEXT NOT NULL DEFAULT '',
	note        TEXT NOT NULL DEFAULT '',
	at          INTEGER NOT NULL
);
CREATE INDEX transitions_petition ON transitions (petition_id, id);

-- News from the starter ('update') and answers of decision makers
-- ('response', author names who answered). Each is mailed to the confirmed
-- signers who asked for updates, in batches: mail_cursor is the last
-- signature id a message was queued for, advanced in the transaction that
-- queues the batch, so no one gets it twice.
CREATE TABLE updates (
	id          INTEGER PRIMARY KEY,
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	kind        TEXT NOT NULL CHECK (kind IN ('update', 'response')),
	author      TEXT NOT NULL DEFAULT '',
	title       TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	mail_cursor INTEGER NOT NULL DEFAULT 0,
	mail_done   INTEGER NOT NULL DEFAULT 0,
	mailed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX updates_petition ON updates (petition_id, created_at);
CREATE INDEX updates_mail ON updates (mail_done, id);

-- The recipients of an update are read in signature-id order.
CREATE INDEX signatures_updates ON signatures (petition_id, id)
    WHERE updates = 1 AND state = 'confirmed';
