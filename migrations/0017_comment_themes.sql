CREATE TABLE `comment_analyses` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`response_id` text NOT NULL,
	`case_id` text,
	`unit_id` text NOT NULL,
	`score` integer,
	`counted` integer NOT NULL,
	`language` text NOT NULL,
	`sentiment` real,
	`stems` text NOT NULL,
	`words` text NOT NULL,
	`phrases` text NOT NULL,
	`themes` text NOT NULL,
	`library_version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`analysed_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `comment_analyses_tenant_kind_created` ON `comment_analyses` (`tenant_id`,`kind`,`created_at`,`counted`,`score`,`unit_id`,`sentiment`,`themes`);--> statement-breakpoint
CREATE INDEX `comment_analyses_tenant_version` ON `comment_analyses` (`tenant_id`,`library_version`);--> statement-breakpoint
CREATE INDEX `comment_analyses_tenant_response` ON `comment_analyses` (`tenant_id`,`response_id`);--> statement-breakpoint
CREATE TABLE `theme_library` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`terms` text NOT NULL,
	`origin` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `theme_library_tenant_name` ON `theme_library` (`tenant_id`,`name`);--> statement-breakpoint
CREATE TABLE `theme_library_state` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`languages` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
