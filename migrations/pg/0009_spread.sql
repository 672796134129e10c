-- 0009_spread: a petition's image and its files. PostgreSQL twin of
-- migrations/sqlite/0009_spread.sql.
CREATE TABLE petition_images (
	petition_id BIGINT PRIMARY KEY REFERENCES petitions(id) ON DELETE CASCADE,
	alt         TEXT NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	version     BIGINT NOT NULL
);

CREATE TABLE petition_image_files (
	petition_id BIGINT NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	mime        TEXT NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	data        BYTEA NOT NULL,
	PRIMARY KEY (petition_id, name)
);
