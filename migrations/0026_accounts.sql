CREATE TABLE `account_outcomes` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`account_id` text NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`revenue_delta` real,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `account_outcomes_tenant_account` ON `account_outcomes` (`tenant_id`,`account_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `account_outcomes_tenant_type` ON `account_outcomes` (`tenant_id`,`type`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `account_risks` (
	`tenant_id` text NOT NULL,
	`account_id` text NOT NULL,
	`probability` real NOT NULL,
	`revenue_at_risk` real NOT NULL,
	`reasons` text NOT NULL,
	`at_risk` integer NOT NULL,
	`crossed_at` integer,
	`computed_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `account_risks_tenant_account` ON `account_risks` (`tenant_id`,`account_id`);--> statement-breakpoint
CREATE INDEX `account_risks_tenant_revenue` ON `account_risks` (`tenant_id`,`revenue_at_risk`);--> statement-breakpoint
CREATE TABLE `account_signal_values` (
	`tenant_id` text NOT NULL,
	`account_id` text NOT NULL,
	`measure_id` text NOT NULL,
	`day` text NOT NULL,
	`value` real NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`measure_id`) REFERENCES `measures`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `account_signal_values_cell` ON `account_signal_values` (`tenant_id`,`account_id`,`measure_id`,`day`);--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`external_id` text NOT NULL,
	`name` text NOT NULL,
	`owner_user_id` text,
	`unit_id` text NOT NULL,
	`annual_revenue` real,
	`renewal_date` text,
	`segment` text,
	`attributes` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_tenant_external` ON `accounts` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `accounts_tenant_unit` ON `accounts` (`tenant_id`,`unit_id`);--> statement-breakpoint
CREATE TABLE `churn_models` (
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`card` text,
	`trained_at` integer,
	`due_at` integer,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `churn_models_tenant` ON `churn_models` (`tenant_id`);--> statement-breakpoint
CREATE INDEX `churn_models_due` ON `churn_models` (`due_at`) WHERE due_at is not null;--> statement-breakpoint
ALTER TABLE `contacts` ADD `stakeholder_role` text;--> statement-breakpoint
CREATE INDEX `responses_tenant_contact_created` ON `responses` (`tenant_id`,`contact_id`,`created_at`) WHERE contact_id is not null;