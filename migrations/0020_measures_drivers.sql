CREATE TABLE `composite_indices` (
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`weights` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `composite_indices_tenant_unit` ON `composite_indices` (`tenant_id`,`unit_id`);--> statement-breakpoint
CREATE TABLE `driver_results` (
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`status` text NOT NULL,
	`stamp` text NOT NULL,
	`result` text,
	`computed_at` integer,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `driver_results_tenant_key` ON `driver_results` (`tenant_id`,`key`);--> statement-breakpoint
CREATE TABLE `measure_values` (
	`tenant_id` text NOT NULL,
	`measure_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`day` text NOT NULL,
	`value` real NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`measure_id`) REFERENCES `measures`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `measure_values_cell` ON `measure_values` (`tenant_id`,`measure_id`,`unit_id`,`day`);--> statement-breakpoint
CREATE TABLE `measures` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`unit` text NOT NULL,
	`direction` text NOT NULL,
	`source` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `measures_tenant_key` ON `measures` (`tenant_id`,`key`);--> statement-breakpoint
ALTER TABLE `responses` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `event_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `responses_tenant_external` ON `responses` (`tenant_id`,`external_id`) WHERE external_id is not null;