-- 0012_mail: addresses the mail server refused for good (hard bounces).
-- Only the keyed hash of the address is kept, as for signatures, so that
-- holos does not mail it again; `holos outbox suppressed` lists them.
CREATE TABLE mail_suppressions (
	email_hash BLOB PRIMARY KEY,
	reason     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
