ALTER TABLE `cases` ADD `notify_due_at` integer;--> statement-breakpoint
CREATE INDEX `cases_tenant_notify_due` ON `cases` (`tenant_id`,`notify_due_at`);--> statement-breakpoint
-- A comment arriving after the score makes the waiting case notification due at once (the
-- every-minute job sends it with the comment). Capture adds a comment with one UPDATE of the
-- response; this trigger runs inside it, so no path that stores a comment can miss it.
CREATE TRIGGER `responses_comment_case_due` AFTER UPDATE OF `comment` ON `responses`
WHEN OLD.`comment` IS NULL AND NEW.`comment` IS NOT NULL
BEGIN
  UPDATE `cases` SET `notify_due_at` = NEW.`updated_at`
  WHERE `tenant_id` = NEW.`tenant_id` AND `response_id` = NEW.`id` AND `notify_due_at` > NEW.`updated_at`;
END;
