-- 0024_log: get-proof-by-hash finds a leaf through an index of the first 8
-- bytes of its hash (hash_prefix) instead of all 32 (docs/transparency.md).
-- Leaf hashes are random, so every new leaf's index entry lands on a page of
-- its own; entries of about a third of the size make that many fewer index
-- pages for each batch of signatures to write, and to keep cached. The query
-- still compares the whole hash. (SQLite does not use an index on an
-- expression of a WITHOUT ROWID table, hence the column.)
ALTER TABLE log_leaves ADD COLUMN hash_prefix BLOB;
UPDATE log_leaves SET hash_prefix = substr(leaf_hash, 1, 8);
DROP INDEX log_leaves_hash;
CREATE INDEX log_leaves_hash_prefix ON log_leaves (petition_id, hash_prefix);
