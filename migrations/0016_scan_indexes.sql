CREATE INDEX `cases_status_first_contact_due` ON `cases` (`status`,`first_contact_due_at`);--> statement-breakpoint
CREATE INDEX `cases_status_resolution_due` ON `cases` (`status`,`resolution_due_at`);--> statement-breakpoint
CREATE INDEX `cases_escalated_status_updated` ON `cases` (`status`,`updated_at`) WHERE "cases"."escalation_level" > 0;--> statement-breakpoint
CREATE INDEX `cases_response` ON `cases` (`response_id`);--> statement-breakpoint
CREATE INDEX `rate_limits_window` ON `rate_limits` (`window_start`);--> statement-breakpoint
CREATE INDEX `sessions_expires` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `sessions_revoked` ON `sessions` (`revoked_at`) WHERE "sessions"."revoked_at" is not null;--> statement-breakpoint
CREATE INDEX `waves_active_next` ON `waves` (`active`,`next_run_at`);