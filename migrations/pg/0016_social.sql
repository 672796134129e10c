-- 0016_social: social proof on a petition's page (docs/social.md).
-- public_comment: the signer agreed to show their comment ("Why I
-- signed"), apart from showing their name. likes: how many browsers liked
-- the comment, one row each in comment_likes, known by a keyed hash of a
-- random browser id (no personal data). comment_hidden_at/_by: a
-- moderator or the starter hid the comment (NULL: shown); the audit log
-- has each hide and unhide.
ALTER TABLE signatures ADD COLUMN public_comment BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE signatures ADD COLUMN likes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN comment_hidden_at BIGINT;
ALTER TABLE signatures ADD COLUMN comment_hidden_by TEXT;

-- The recent signers shown (newest confirmation first) and the comments.
CREATE INDEX signatures_shown ON signatures (petition_id, confirmed_at, seq)
    WHERE state = 'confirmed' AND public_name = TRUE;
CREATE INDEX signatures_comments ON signatures (petition_id, confirmed_at, id)
    WHERE comment <> '' AND public_comment = TRUE;

CREATE TABLE comment_likes (
	signature_id BIGINT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
	liker        BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (signature_id, liker)
);
