DROP INDEX `rollups_cell`;--> statement-breakpoint
ALTER TABLE `rollups` ADD `vendor_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `agent_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `rollups_cell_actor` ON `rollups` (`tenant_id`,`unit_id`,`day`,`touchpoint_id`,`channel`,`segment`,`locale`,`survey_id`,`survey_version`,`vendor_id`,`agent_id`);--> statement-breakpoint
ALTER TABLE `events` ADD `vendor_id` text REFERENCES units(id);--> statement-breakpoint
ALTER TABLE `events` ADD `agent_id` text;--> statement-breakpoint
ALTER TABLE `invitations` ADD `vendor_id` text;--> statement-breakpoint
ALTER TABLE `invitations` ADD `agent_id` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `vendor_id` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `agent_id` text;--> statement-breakpoint
CREATE INDEX `responses_tenant_vendor_created` ON `responses` (`tenant_id`,`vendor_id`,`created_at`) WHERE vendor_id is not null;--> statement-breakpoint
CREATE INDEX `rollup_dim_months_dim` ON `rollup_dim_months` (`tenant_id`,`ancestor_id`,`dim`,`month`);