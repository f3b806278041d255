CREATE TABLE `api_key_ids` (
	`key_id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `api_key_ids_tenant` ON `api_key_ids` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `data_databases` (
	`id` text PRIMARY KEY NOT NULL,
	`region` text NOT NULL,
	`url` text NOT NULL,
	`placement` text NOT NULL,
	`schema_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `directory_audit` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`tenant_id` text,
	`database_id` text,
	`details` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `directory_audit_tenant` ON `directory_audit` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`region` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`database_id` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`database_id`) REFERENCES `data_databases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tenants_database` ON `tenants` (`database_id`);--> statement-breakpoint
CREATE TABLE `identities` (
	`email` text NOT NULL,
	`tenant_id` text NOT NULL,
	PRIMARY KEY(`email`, `tenant_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `identities_tenant` ON `identities` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `widget_keys` (
	`public_key` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `widget_keys_tenant` ON `widget_keys` (`tenant_id`);