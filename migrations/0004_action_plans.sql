CREATE TABLE `action_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`theme` text,
	`alert_id` text,
	`owner_user_id` text,
	`status` text NOT NULL,
	`due_on` text,
	`before_from` text,
	`before_to` text,
	`after_from` text,
	`after_to` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `action_plans_tenant_unit` ON `action_plans` (`tenant_id`,`unit_id`);--> statement-breakpoint
CREATE INDEX `action_plans_tenant_owner_status` ON `action_plans` (`tenant_id`,`owner_user_id`,`status`);