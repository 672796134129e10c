-- 0007_log: the per-petition verifiable log (docs/transparency.md).
-- PostgreSQL twin of migrations/sqlite/0007_log.sql.

-- The leaves in log order. leaf_input is exactly the bytes of translog.h;
-- leaf_hash is SHA-256(0x00 || leaf_input) and doubles as the tree's level
-- 0. seq names the signature of a signature leaf (NULL for a removal), so
-- an invalidation finds the leaves it removes.
CREATE TABLE log_leaves (
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	idx         BIGINT NOT NULL,
	leaf_input  BYTEA NOT NULL,
	leaf_hash   BYTEA NOT NULL,
	seq         BIGINT,
	PRIMARY KEY (petition_id, idx)
);
CREATE INDEX log_leaves_hash ON log_leaves (petition_id, leaf_hash);
CREATE INDEX log_leaves_seq ON log_leaves (petition_id, seq)
    WHERE seq IS NOT NULL;

-- Every complete subtree above the leaves: node (level, idx) is the hash of
-- leaves [idx * 2^level, (idx + 1) * 2^level). Written once, never changed.
CREATE TABLE log_nodes (
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
	idx         BIGINT NOT NULL,
	hash        BYTEA NOT NULL,
	PRIMARY KEY (petition_id, level, idx)
);

-- A log's size and root as the last append left them (the row is the
-- per-petition lock of appends, across nodes), and the newest signed tree
-- head.
CREATE TABLE log_trees (
	petition_id   BIGINT PRIMARY KEY REFERENCES petitions(id),
	size          BIGINT NOT NULL,
	root          BYTEA NOT NULL,
	sth_size      BIGINT NOT NULL DEFAULT -1,
	sth_timestamp BIGINT NOT NULL DEFAULT 0,
	sth_root      BYTEA,
	sth_signature BYTEA
);

CREATE INDEX signatures_invalidation ON signatures (invalidation_id)
    WHERE invalidation_id IS NOT NULL;
