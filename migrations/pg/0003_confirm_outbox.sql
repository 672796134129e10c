-- 0003_confirm_outbox: email confirmation tokens, the outbox, and what a
-- signature needs to be mailed in its signer's language.
ALTER TABLE signatures ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
ALTER TABLE signatures ADD COLUMN last_mail_at BIGINT;

-- Single-use secrets sent by email: only their hash is kept. purpose says
-- what the token may do; subject is the row it acts on (a signature).
CREATE TABLE tokens (
	hash       BYTEA PRIMARY KEY,
	purpose    TEXT NOT NULL CHECK (purpose IN ('confirm', 'unsubscribe')),
	subject    BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT,
	used_at    BIGINT
);
CREATE INDEX tokens_subject ON tokens (subject);

-- Mail waiting to go out. sealed holds the recipient and the whole message,
-- encrypted like all personal data, and is erased once sent. An attempt is
-- recorded (state 'sending', attempts + 1) before the message is handed to
-- the server; message_id stays the same across attempts. Nodes claim due
-- rows with FOR UPDATE SKIP LOCKED, so each message goes to one node.
CREATE TABLE outbox (
	id         BIGSERIAL PRIMARY KEY,
	message_id TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL,
	sealed     BYTEA,
	state      TEXT NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'sending', 'sent', 'dead')),
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    BIGINT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	sent_at    BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_at);
