-- 0027_end_mail: the signers' mail at a petition's end is now queued by
-- the handover thread for any closed or won petition whose end_mailed is
-- not its state, so that a crash between the state change and the mail
-- cannot lose it. Petitions that ended before this migration are marked
-- as mailed, so upgrading mails nobody about an end long past.
UPDATE petitions SET end_mailed = state
WHERE state IN ('closed', 'victory') AND end_mailed = '';
