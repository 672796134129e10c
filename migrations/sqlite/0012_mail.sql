-- 0012_mail: addresses the mail server refused for good (hard bounces).
-- Only the keyed hash of the address is kept, as for signatures, so that
-- holos does not mail it again; `holos outbox suppressed` lists them.
CREATE TABLE mail_suppressions (
	email_hash BLOB PRIMARY KEY,
	reason     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

-- The node that claimed a message being sent: a node that restarts takes
-- back its own messages in flight at once, not after the lease.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
