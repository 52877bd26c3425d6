-- What a channel knows about a message beyond its text (JSON object of
-- desk.Message.Meta: an email's authentication results, its HTML version).
-- '' for most messages.
ALTER TABLE messages ADD COLUMN meta text NOT NULL DEFAULT '';
