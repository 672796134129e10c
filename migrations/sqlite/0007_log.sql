-- 0007_log: the per-petition verifiable log (docs/transparency.md).

-- The leaves in log order. leaf_input is exactly the bytes of translog.h;
-- leaf_hash is SHA-256(0x00 || leaf_input) and doubles as the tree's level
-- 0. seq names the signature of a signature leaf (NULL for a removal), so
-- an invalidation finds the leaves it removes.
CREATE TABLE log_leaves (
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	idx         INTEGER NOT NULL,
	leaf_input  BLOB NOT NULL,
	leaf_hash   BLOB NOT NULL,
	seq         INTEGER,
	PRIMARY KEY (petition_id, idx)
) WITHOUT ROWID;
CREATE INDEX log_leaves_hash ON log_leaves (petition_id, leaf_hash);
CREATE INDEX log_leaves_seq ON log_leaves (petition_id, seq)
    WHERE seq IS NOT NULL;

-- Every complete subtree above the leaves: node (level, idx) is the hash of
-- leaves [idx * 2^level, (idx + 1) * 2^level). Written once, never changed.
CREATE TABLE log_nodes (
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
	idx         INTEGER NOT NULL,
	hash        BLOB NOT NULL,
	PRIMARY KEY (petition_id, level, idx)
) WITHOUT ROWID;

-- A log's size and root as the last append left them (the row is the
-- per-petition lock of appends), and the newest signed tree head.
CREATE TABLE log_trees (
	petition_id   INTEGER PRIMARY KEY REFERENCES petitions(id),
	size          INTEGER NOT NULL,
	root          BLOB NOT NULL,
	sth_size      INTEGER NOT NULL DEFAULT -1,
	sth_timestamp INTEGER NOT NULL DEFAULT 0,
	sth_root      BLOB,
	sth_signature BLOB
);

CREATE INDEX signatures_invalidation ON signatures (invalidation_id)
    WHERE invalidation_id IS NOT NULL;
