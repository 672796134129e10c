-- 0019_guard: login that tells nothing and cannot lock an owner out, mailed
-- sign-in links, and a second factor for moderators and admins.

-- Mailed sign-in links join the account links (SQLite cannot change a CHECK
-- in place: the table is made again).
CREATE TABLE user_tokens_new (
	hash       BLOB PRIMARY KEY,
	purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'signin')),
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) WITHOUT ROWID;
INSERT INTO user_tokens_new SELECT hash, purpose, user_id, created_at,
	expires_at, used_at FROM user_tokens;
DROP TABLE user_tokens;
ALTER TABLE user_tokens_new RENAME TO user_tokens;
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- Failed logins per address, whether it has an account or not, so the
-- lock and its answer are the same for both: keyed by the email's keyed
-- hash, forgotten a day after the last failure.
CREATE TABLE login_guard (
	email_hash   BLOB PRIMARY KEY,
	failed       INTEGER NOT NULL,		-- failures in a row
	locked_until INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_guard_updated ON login_guard (updated_at);

-- TOTP (RFC 6238): the secret sealed; enabled once a code confirmed it;
-- the last time step accepted (a code is good once); failed codes lock.
CREATE TABLE user_totp (
	user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	sealed       BLOB NOT NULL,
	enabled_at   INTEGER,
	last_step    INTEGER NOT NULL DEFAULT 0,
	failed       INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);

-- One-time recovery codes: only their keyed hash.
CREATE TABLE user_recovery (
	hash    BLOB PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	used_at INTEGER
) WITHOUT ROWID;
CREATE INDEX user_recovery_user ON user_recovery (user_id);
