-- 0009_spread: a petition's image, sent by its starter: the alt text, the
-- original's size and a version that each new upload advances (image URLs
-- carry it, so a browser may keep one for good); its files are the
-- re-encoded widths for srcset and the share image's background, every
-- one stripped of metadata.
CREATE TABLE petition_images (
	petition_id INTEGER PRIMARY KEY REFERENCES petitions(id) ON DELETE CASCADE,
	alt         TEXT NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	version     INTEGER NOT NULL
);

CREATE TABLE petition_image_files (
	petition_id INTEGER NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	mime        TEXT NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	data        BLOB NOT NULL,
	PRIMARY KEY (petition_id, name)
);
