-- 0023_paper: a paper batch's scanned file. PostgreSQL twin of
-- migrations/sqlite/0023_paper.sql.
CREATE TABLE paper_scans (
	batch_id    BIGINT PRIMARY KEY REFERENCES paper_batches(id)
	            ON DELETE CASCADE,
	data        BYTEA NOT NULL
);
