-- 0005_accounts: people who start petitions, moderate and administer, and
-- their sessions. Signers need no account. PostgreSQL twin of
-- migrations/sqlite/0005_accounts.sql.
CREATE TABLE users (
	id           BIGSERIAL PRIMARY KEY,
	email_hash   BYTEA NOT NULL UNIQUE,	-- keyed hash of the normalised email
	email_sealed BYTEA NOT NULL,		-- the address, sealed
	password     TEXT NOT NULL,		-- Argon2id string (libsodium)
	role         TEXT NOT NULL CHECK (role IN ('starter', 'moderator', 'admin')),
	verified_at  BIGINT,
	created_at   BIGINT NOT NULL,
	failed       INTEGER NOT NULL DEFAULT 0,	-- failed logins in a row
	locked_until BIGINT NOT NULL DEFAULT 0
);

-- A session is known by the hash of its cookie; the cookie itself is never
-- stored, so a copy of the database logs no one in.
CREATE TABLE sessions (
	hash       BYTEA PRIMARY KEY,
	user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
