CREATE TABLE `rollup_watermarks` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`response_seq` integer NOT NULL,
	`folded_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `rollups` (
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`day` text NOT NULL,
	`touchpoint_id` text NOT NULL,
	`channel` text NOT NULL,
	`segment` text NOT NULL,
	`locale` text NOT NULL,
	`survey_id` text NOT NULL,
	`survey_version` integer NOT NULL,
	`promoters` integer NOT NULL,
	`passives` integer NOT NULL,
	`detractors` integer NOT NULL,
	`w` real NOT NULL,
	`w2` real NOT NULL,
	`w_promoters` real NOT NULL,
	`w_detractors` real NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollups_cell` ON `rollups` (`tenant_id`,`unit_id`,`day`,`touchpoint_id`,`channel`,`segment`,`locale`,`survey_id`,`survey_version`);--> statement-breakpoint
CREATE INDEX `rollups_tenant_day` ON `rollups` (`tenant_id`,`day`);--> statement-breakpoint
ALTER TABLE `responses` ADD `segment` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `lifetime_value` real;--> statement-breakpoint
CREATE INDEX `responses_tenant_seq` ON `responses` (`tenant_id`);