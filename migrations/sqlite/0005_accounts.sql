-- 0005_accounts: people who start petitions, moderate and administer, and
-- their sessions. Signers need no account.
CREATE TABLE users (
	id           INTEGER PRIMARY KEY,
	email_hash   BLOB NOT NULL UNIQUE,	-- keyed hash of the normalised email
	email_sealed BLOB NOT NULL,		-- the address, sealed
	password     TEXT NOT NULL,		-- Argon2id string (libsodium)
	role         TEXT NOT NULL CHECK (role IN ('starter', 'moderator', 'admin')),
	verified_at  INTEGER,
	created_at   INTEGER NOT NULL,
	failed       INTEGER NOT NULL DEFAULT 0,	-- failed logins in a row
	locked_until INTEGER NOT NULL DEFAULT 0
);

-- A session is known by the hash of its cookie; the cookie itself is never
-- stored, so a copy of the database logs no one in.
CREATE TABLE sessions (
	hash       BLOB PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
