CREATE TABLE `saved_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`owner_type` text NOT NULL,
	`owner_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`name` text NOT NULL,
	`filters` text NOT NULL,
	`schedule` text,
	`next_run_at` integer,
	`last_sent_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `saved_reports_tenant_owner` ON `saved_reports` (`tenant_id`,`owner_type`,`owner_id`);--> statement-breakpoint
CREATE INDEX `saved_reports_tenant_unit` ON `saved_reports` (`tenant_id`,`unit_id`);--> statement-breakpoint
CREATE INDEX `saved_reports_tenant_next_run` ON `saved_reports` (`tenant_id`,`next_run_at`);