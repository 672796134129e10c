-- 0002_translations: a petition's title and text in other languages.
CREATE TABLE petition_translations (
	petition_id BIGINT NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
	lang        TEXT NOT NULL,
	title       TEXT NOT NULL,
	body_md     TEXT NOT NULL,
	PRIMARY KEY (petition_id, lang)
);
