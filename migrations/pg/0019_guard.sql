-- 0019_guard: login that tells nothing and cannot lock an owner out, mailed
-- sign-in links, and a second factor for moderators and admins.

ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
	CHECK (purpose IN ('verify', 'reset', 'signin'));

-- Failed logins per address, whether it has an account or not, so the
-- lock and its answer are the same for both: keyed by the email's keyed
-- hash, forgotten a day after the last failure.
CREATE TABLE login_guard (
	email_hash   BYTEA PRIMARY KEY,
	failed       INTEGER NOT NULL,
	locked_until BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX login_guard_updated ON login_guard (updated_at);

-- TOTP (RFC 6238): the secret sealed; enabled once a code confirmed it;
-- the last time step accepted (a code is good once); failed codes lock.
CREATE TABLE user_totp (
	user_id      BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	sealed       BYTEA NOT NULL,
	enabled_at   BIGINT,
	last_step    BIGINT NOT NULL DEFAULT 0,
	failed       INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	created_at   BIGINT NOT NULL
);

-- One-time recovery codes: only their keyed hash.
CREATE TABLE user_recovery (
	hash    BYTEA PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	used_at BIGINT
);
CREATE INDEX user_recovery_user ON user_recovery (user_id);
