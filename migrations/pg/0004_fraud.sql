-- 0004_fraud: what fraud defence needs to know of a signature, removals
-- by moderators, and the audit log. PostgreSQL twin of
-- migrations/sqlite/0004_fraud.sql.

-- flags: bot-check findings (1 honeypot filled, 2 sent too fast after the
-- form was shown, 4 no proof of work, 8 a bad proof). net is the client's
-- /24 or /48 network and domain the email's domain: the grouping keys of
-- trending sources, stored in clear because a network or a mail domain is
-- no one's identity (the address itself stays sealed).
ALTER TABLE signatures ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN net TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN domain TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN invalid_reason TEXT;
ALTER TABLE signatures ADD COLUMN invalidation_id BIGINT;
CREATE INDEX signatures_recent ON signatures (petition_id, created_at);

-- One bulk removal: what was matched, why, by whom, how many.
CREATE TABLE invalidations (
	id          BIGSERIAL PRIMARY KEY,
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	reason      TEXT NOT NULL CHECK (reason IN
	    ('fraud', 'bot', 'duplicate_person', 'disposable', 'other')),
	criteria    TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	removed     BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);

-- Who did what, when: every moderation action lands here.
CREATE TABLE audit_log (
	id      BIGSERIAL PRIMARY KEY,
	at      BIGINT NOT NULL,
	actor   TEXT NOT NULL,
	action  TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT ''
);
