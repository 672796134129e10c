-- keys: one-off data tasks that need the keys (not a schema change, so
-- they run after the migrations, from holos migrate), each recorded once
-- done: "email_idna", the address hashes recomputed under the IDNA normal
-- form of domains (docs/keys.md).
CREATE TABLE data_tasks (
	name    TEXT PRIMARY KEY,
	done_at INTEGER NOT NULL
);

-- A signer asks for their data by mail (/privacy/data): their signatures
-- found by the address's keyed hash across petitions.
CREATE INDEX signatures_email_hash ON signatures (email_hash);
