-- Cases may now be opened by an account's churn risk (kind `at_risk`, no answer): the answer,
-- its touchpoint and score become optional, so the table is rebuilt (SQLite cannot relax NOT NULL).
-- Every existing case is a detractor's. The trigger on responses that names `cases` is dropped
-- for the rebuild and made again as it was (migration 0015).
DROP TRIGGER IF EXISTS `responses_comment_case_due`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_cases` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`kind` text DEFAULT 'detractor' NOT NULL,
	`response_id` text,
	`account_id` text,
	`unit_id` text NOT NULL,
	`touchpoint_id` text,
	`contact_id` text,
	`owner_user_id` text,
	`status` text NOT NULL,
	`score` integer,
	`first_contact_due_at` integer,
	`resolution_due_at` integer,
	`first_contact_at` integer,
	`resolved_at` integer,
	`closed_at` integer,
	`escalation_level` integer DEFAULT 0 NOT NULL,
	`escalated` text DEFAULT '[]' NOT NULL,
	`root_cause` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`notify_due_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_cases`("id", "tenant_id", "kind", "response_id", "account_id", "unit_id", "touchpoint_id", "contact_id", "owner_user_id", "status", "score", "first_contact_due_at", "resolution_due_at", "first_contact_at", "resolved_at", "closed_at", "escalation_level", "escalated", "root_cause", "tags", "notify_due_at", "created_at", "updated_at") SELECT "id", "tenant_id", 'detractor', "response_id", NULL, "unit_id", "touchpoint_id", "contact_id", "owner_user_id", "status", "score", "first_contact_due_at", "resolution_due_at", "first_contact_at", "resolved_at", "closed_at", "escalation_level", "escalated", "root_cause", "tags", "notify_due_at", "created_at", "updated_at" FROM `cases`;--> statement-breakpoint
DROP TABLE `cases`;--> statement-breakpoint
ALTER TABLE `__new_cases` RENAME TO `cases`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `cases_tenant_response` ON `cases` (`tenant_id`,`response_id`);--> statement-breakpoint
CREATE INDEX `cases_tenant_notify_due` ON `cases` (`tenant_id`,`notify_due_at`);--> statement-breakpoint
CREATE INDEX `cases_tenant_status_due` ON `cases` (`tenant_id`,`status`,`resolution_due_at`);--> statement-breakpoint
CREATE INDEX `cases_tenant_owner_status` ON `cases` (`tenant_id`,`owner_user_id`,`status`);--> statement-breakpoint
CREATE INDEX `cases_tenant_unit_created` ON `cases` (`tenant_id`,`unit_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `cases_status_first_contact_due` ON `cases` (`status`,`first_contact_due_at`);--> statement-breakpoint
CREATE INDEX `cases_status_resolution_due` ON `cases` (`status`,`resolution_due_at`);--> statement-breakpoint
CREATE INDEX `cases_escalated_status_updated` ON `cases` (`status`,`updated_at`) WHERE "cases"."escalation_level" > 0;--> statement-breakpoint
CREATE INDEX `cases_response` ON `cases` (`response_id`);--> statement-breakpoint
CREATE INDEX `cases_tenant_account` ON `cases` (`tenant_id`,`account_id`,`status`);--> statement-breakpoint
CREATE INDEX `cases_notify_due` ON `cases` (`notify_due_at`) WHERE "cases"."notify_due_at" is not null;--> statement-breakpoint
CREATE INDEX `cases_first_contact_late` ON `cases` (`first_contact_due_at`) WHERE "cases"."status" = 'open' and "cases"."first_contact_at" is null and instr("cases"."escalated", '"first_contact"') = 0;--> statement-breakpoint
CREATE INDEX `cases_resolution_late` ON `cases` (`resolution_due_at`) WHERE "cases"."status" in ('open', 'contacted') and instr("cases"."escalated", '"resolution"') = 0;--> statement-breakpoint
ALTER TABLE `churn_models` ADD `score_due_at` integer;--> statement-breakpoint
CREATE INDEX `churn_models_score_due` ON `churn_models` (`score_due_at`) WHERE score_due_at is not null;--> statement-breakpoint
CREATE TRIGGER `responses_comment_case_due` AFTER UPDATE OF `comment` ON `responses`
WHEN OLD.`comment` IS NULL AND NEW.`comment` IS NOT NULL
BEGIN
  UPDATE `cases` SET `notify_due_at` = NEW.`updated_at`
  WHERE `tenant_id` = NEW.`tenant_id` AND `response_id` = NEW.`id` AND `notify_due_at` > NEW.`updated_at`;
END;
