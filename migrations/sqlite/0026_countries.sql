-- 0026_countries: confirmed signatures by country, kept as petition_counts
-- is (one row per petition, country and node, moved in the transactions
-- that move the count), so the petition page's countries are read from a
-- few rows instead of counted over every signature at each rendering.
-- country is the two capitals a log leaf carries, '--' for none.
CREATE TABLE petition_countries (
	petition_id INTEGER NOT NULL REFERENCES petitions(id),
	country     TEXT NOT NULL,
	node        TEXT NOT NULL,
	confirmed   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (petition_id, country, node)
) WITHOUT ROWID;
INSERT INTO petition_countries (petition_id, country, node, confirmed)
SELECT petition_id, CASE WHEN country GLOB '[A-Z][A-Z]' THEN country
    ELSE '--' END, 'migrated', COUNT(*)
FROM signatures WHERE state = 'confirmed' GROUP BY 1, 2;
