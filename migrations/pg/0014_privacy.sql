-- 0014_privacy: retention (docs/privacy.md). purged_at is when the
-- signers' personal data of a petition that stopped taking signatures was
-- last erased; a petition restored and closed again later (updated_at after
-- it) is erased again.
ALTER TABLE petitions ADD COLUMN purged_at BIGINT;
