-- 0017_report: notice and action (docs/report.md). A report names a
-- petition, or one of its signatures' comments (comment_id, 0 for the
-- petition itself). email_sealed is the reporter's address for the
-- outcome, sealed like every other address; it is erased once the outcome
-- mail is queued, or by retention. note is the reporter's text, shown only
-- to moderators.
CREATE TABLE reports (
	id           INTEGER PRIMARY KEY,
	petition_id  INTEGER NOT NULL REFERENCES petitions(id),
	comment_id   INTEGER NOT NULL DEFAULT 0,
	reason       TEXT NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	email_sealed BLOB,
	lang         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
	outcome      TEXT NOT NULL DEFAULT '',
	statement    TEXT NOT NULL DEFAULT '',
	resolved_by  TEXT NOT NULL DEFAULT '',
	resolved_at  INTEGER
);
CREATE INDEX reports_open ON reports (state, petition_id, comment_id);
CREATE INDEX reports_created ON reports (created_at);
