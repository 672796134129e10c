-- 0025_log: the verifiable log costs less on the signing path
-- (docs/transparency.md, "Storage").
--
-- The leaf-hash index leaves the signing transaction. Leaf hashes are
-- random, so each leaf's index entry dirtied a page of its own in every
-- batch of signatures. log_hashes holds the same entries (the first 8 bytes
-- of the hash and the leaf's index) and is written by the tree-head thread
-- once a second for the leaves after log_trees.hashed; get-proof-by-hash
-- searches it and scans the leaves after the watermark.
CREATE TABLE log_hashes (
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	hash_prefix BLOB NOT NULL,
	idx         INTEGER NOT NULL,
	PRIMARY KEY (petition_id, hash_prefix, idx)
) WITHOUT ROWID;
-- In the old index's order: no sort, and the new table fills in order.
INSERT INTO log_hashes (petition_id, hash_prefix, idx)
    SELECT petition_id, hash_prefix, idx FROM log_leaves
    ORDER BY petition_id, hash_prefix, idx;
ALTER TABLE log_trees ADD COLUMN hashed INTEGER NOT NULL DEFAULT 0;
UPDATE log_trees SET hashed = size;
DROP INDEX log_leaves_hash_prefix;
ALTER TABLE log_leaves DROP COLUMN hash_prefix;

-- Nodes below level 4 are no longer stored: each is the hash of at most 8
-- consecutive leaves, computed when a proof reads it (merkle.c,
-- MERKLE_TILE). Seven in eight of the nodes an append made are gone.
DELETE FROM log_nodes WHERE level < 4;
