-- 0024_log: get-proof-by-hash finds a leaf through an index of the first 8
-- bytes of its hash (hash_prefix) instead of all 32 (docs/transparency.md).
-- PostgreSQL twin of migrations/sqlite/0024_log.sql.
ALTER TABLE log_leaves ADD COLUMN hash_prefix BYTEA;
UPDATE log_leaves SET hash_prefix = substr(leaf_hash, 1, 8);
DROP INDEX log_leaves_hash;
CREATE INDEX log_leaves_hash_prefix ON log_leaves (petition_id, hash_prefix);
