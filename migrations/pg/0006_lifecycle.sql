-- 0006_lifecycle: petitions started by people, their moderation and life,
-- account links, and updates to signers. PostgreSQL twin of
-- migrations/sqlite/0006_lifecycle.sql.
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

ALTER TABLE petitions ADD COLUMN owner_id BIGINT REFERENCES users(id);
ALTER TABLE petitions ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE petitions ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX petitions_owner ON petitions (owner_id);
CREATE INDEX petitions_state ON petitions (state, updated_at);

CREATE TABLE user_tokens (
	hash       BYTEA PRIMARY KEY,
	purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
	user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE transitions (
	id          BIGSERIAL PRIMARY KEY,
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	from_state  TEXT NOT NULL,
	to_state    TEXT NOT NULL,
	actor       TEXT NOT NULL,
	reason      TEXT NOT NULL DEFAULT '',
	note        TEXT NOT NULL DEFAULT '',
	at          BIGINT NOT NULL
);
CREATE INDEX transitions_petition ON transitions (petition_id, id);

CREATE TABLE updates (
	id          BIGSERIAL PRIMARY KEY,
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	kind        TEXT NOT NULL CHECK (kind IN ('update', 'response')),
	author      TEXT NOT NULL DEFAULT '',
	title       TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	mail_cursor BIGINT NOT NULL DEFAULT 0,
	mail_done   BOOLEAN NOT NULL DEFAULT FALSE,
	mailed      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX updates_petition ON updates (petition_id, created_at);
CREATE INDEX updates_mail ON updates (mail_done, id);

CREATE INDEX signatures_updates ON signatures (petition_id, id)
    WHERE updates AND state = 'confirmed';
