CREATE TABLE `annotations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`day` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`applies_to_subtree` integer DEFAULT false NOT NULL,
	`created_by` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `annotations_tenant_unit_day` ON `annotations` (`tenant_id`,`unit_id`,`day`);--> statement-breakpoint
CREATE TABLE `target_attainments` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`target_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`period` text NOT NULL,
	`closed_at` integer NOT NULL,
	`record` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`target_id`) REFERENCES `targets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `target_attainments_tenant_target` ON `target_attainments` (`tenant_id`,`target_id`);--> statement-breakpoint
CREATE INDEX `target_attainments_tenant_unit_period` ON `target_attainments` (`tenant_id`,`unit_id`,`period`);--> statement-breakpoint
CREATE TABLE `targets` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`period` text NOT NULL,
	`basis` text NOT NULL,
	`threshold` real NOT NULL,
	`target` real NOT NULL,
	`stretch` real NOT NULL,
	`baseline` real,
	`rebaselined_from` text,
	`rebaseline_reason` text,
	`closes_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `targets_tenant_unit_period` ON `targets` (`tenant_id`,`unit_id`,`period`);--> statement-breakpoint
CREATE INDEX `targets_tenant_closes` ON `targets` (`tenant_id`,`closes_at`);--> statement-breakpoint
CREATE INDEX `targets_closing` ON `targets` (`closes_at`) WHERE closes_at is not null;--> statement-breakpoint
CREATE INDEX `audit_log_tenant_action_created` ON `audit_log` (`tenant_id`,`action`,`created_at`);