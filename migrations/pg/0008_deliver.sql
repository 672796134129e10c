-- 0008_deliver: handing petitions over. PostgreSQL twin of
-- migrations/sqlite/0008_deliver.sql.

ALTER TABLE addressees ADD COLUMN email_sealed BYTEA;

-- delivered_at: the first delivery (the public clock runs from it);
-- goal_mailed: the highest goal the starter was mailed about; end_mailed:
-- the end state ('closed', 'victory') whose mail to signers is queued.
ALTER TABLE petitions ADD COLUMN delivered_at BIGINT;
ALTER TABLE petitions ADD COLUMN goal_mailed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE petitions ADD COLUMN end_mailed TEXT NOT NULL DEFAULT '';

-- One letter to one addressee; token_hash is the keyed hash of the secret
-- in its links (the pack until expires_at, the response page).
CREATE TABLE deliveries (
	id          BIGSERIAL PRIMARY KEY,
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	pos         BIGINT NOT NULL,
	name        TEXT NOT NULL,
	token_hash  BYTEA NOT NULL UNIQUE,
	count       BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	UNIQUE (petition_id, pos)
);

-- A decision maker's answer, written through the response link; shown
-- once approved (then it is an update of kind 'response').
CREATE TABLE responses (
	id          BIGSERIAL PRIMARY KEY,
	delivery_id BIGINT NOT NULL REFERENCES deliveries(id),
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	author      TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
	created_at  BIGINT NOT NULL,
	decided_at  BIGINT,
	update_id   BIGINT REFERENCES updates(id)
);
CREATE INDEX responses_petition ON responses (petition_id, state);

-- Signatures on paper, counted apart from the online ones.
CREATE TABLE paper_batches (
	id          BIGSERIAL PRIMARY KEY,
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	count       BIGINT NOT NULL CHECK (count > 0),
	day         TEXT NOT NULL,
	place       TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	scan        TEXT NOT NULL DEFAULT '',
	actor       TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	removed_at  BIGINT,
	removed_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX paper_batches_petition ON paper_batches (petition_id);
