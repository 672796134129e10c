-- 0023_paper: a paper batch's scanned file (PDF, JPEG or PNG, at most
-- 10 MB), kept in the database beside its batch: written in the batch's own
-- transaction, served by every node of a cluster, and in every backup.
-- Its kind is the batch's `scan` column ("pdf", "jpeg", "png").
CREATE TABLE paper_scans (
	batch_id    INTEGER PRIMARY KEY REFERENCES paper_batches(id)
	            ON DELETE CASCADE,
	data        BLOB NOT NULL
);
