CREATE TABLE `cron_marks` (
	`job` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`ref` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_active` ON `alert_rules` (`active`);--> statement-breakpoint
CREATE INDEX `cases_notify_due` ON `cases` (`notify_due_at`) WHERE "cases"."notify_due_at" is not null;--> statement-breakpoint
CREATE INDEX `cases_first_contact_late` ON `cases` (`first_contact_due_at`) WHERE "cases"."status" = 'open' and "cases"."first_contact_at" is null and instr("cases"."escalated", '"first_contact"') = 0;--> statement-breakpoint
CREATE INDEX `cases_resolution_late` ON `cases` (`resolution_due_at`) WHERE "cases"."status" in ('open', 'contacted') and instr("cases"."escalated", '"resolution"') = 0;--> statement-breakpoint
CREATE INDEX `invitations_open_expires` ON `invitations` (`expires_at`) WHERE "invitations"."status" in ('scheduled', 'sending', 'sent');--> statement-breakpoint
CREATE INDEX `invitations_scheduled_due` ON `invitations` (`due_at`) WHERE "invitations"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX `invitations_sending_updated` ON `invitations` (`updated_at`) WHERE "invitations"."status" = 'sending';--> statement-breakpoint
CREATE INDEX `invitations_reminder_due` ON `invitations` (`reminder_due_at`) WHERE "invitations"."status" = 'sent' and "invitations"."reminded_at" is null;--> statement-breakpoint
CREATE INDEX `role_grants_role` ON `role_grants` (`role`);--> statement-breakpoint
CREATE INDEX `rollup_watermarks_months_closed` ON `rollup_watermarks` (`months_closed_through`);--> statement-breakpoint
CREATE INDEX `saved_reports_next_run` ON `saved_reports` (`next_run_at`) WHERE "saved_reports"."next_run_at" is not null;--> statement-breakpoint
CREATE INDEX `tenants_retention` ON `tenants` (((settings ->> '$.retention.commentDays') is not null or (settings ->> '$.retention.contactDays') is not null));--> statement-breakpoint
CREATE INDEX `webhook_deliveries_pending_next` ON `webhook_deliveries` (`next_attempt_at`) WHERE "webhook_deliveries"."status" = 'pending';