-- Activity messages record their changes as catalogue keys with arguments
-- (JSON of []desk.ActivityItem), so that each agent reads them in their own
-- language. '' for other messages and for activity written before this.
ALTER TABLE messages ADD COLUMN activity TEXT NOT NULL DEFAULT '';
