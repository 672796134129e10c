-- 0025_log: the verifiable log costs less on the signing path
-- (docs/transparency.md, "Storage").
-- PostgreSQL twin of migrations/sqlite/0025_log.sql.
CREATE TABLE log_hashes (
	petition_id BIGINT NOT NULL REFERENCES petitions(id),
	hash_prefix BYTEA NOT NULL,
	idx         BIGINT NOT NULL,
	PRIMARY KEY (petition_id, hash_prefix, idx)
);
INSERT INTO log_hashes (petition_id, hash_prefix, idx)
    SELECT petition_id, hash_prefix, idx FROM log_leaves
    ORDER BY petition_id, hash_prefix, idx;
ALTER TABLE log_trees ADD COLUMN hashed BIGINT NOT NULL DEFAULT 0;
UPDATE log_trees SET hashed = size;
DROP INDEX log_leaves_hash_prefix;
ALTER TABLE log_leaves DROP COLUMN hash_prefix;

-- Nodes below level 4 are no longer stored (merkle.c, MERKLE_TILE).
DELETE FROM log_nodes WHERE level < 4;
