-- The day cells stored in their key's order (WITHOUT ROWID, which drizzle-kit cannot declare: src/db/schema.ts).
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_rollups` (
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`day` text NOT NULL,
	`touchpoint_id` text NOT NULL,
	`channel` text NOT NULL,
	`segment` text NOT NULL,
	`locale` text NOT NULL,
	`survey_id` text NOT NULL,
	`survey_version` integer NOT NULL,
	`vendor_id` text DEFAULT '' NOT NULL,
	`promoters` integer NOT NULL,
	`passives` integer NOT NULL,
	`detractors` integer NOT NULL,
	`w` real NOT NULL,
	`w2` real NOT NULL,
	`w_promoters` real NOT NULL,
	`w_detractors` real NOT NULL,
	`score_0` integer DEFAULT 0 NOT NULL,
	`score_1` integer DEFAULT 0 NOT NULL,
	`score_2` integer DEFAULT 0 NOT NULL,
	`score_3` integer DEFAULT 0 NOT NULL,
	`score_4` integer DEFAULT 0 NOT NULL,
	`score_5` integer DEFAULT 0 NOT NULL,
	`score_6` integer DEFAULT 0 NOT NULL,
	`score_7` integer DEFAULT 0 NOT NULL,
	`score_8` integer DEFAULT 0 NOT NULL,
	`score_9` integer DEFAULT 0 NOT NULL,
	`score_10` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `unit_id`, `day`, `touchpoint_id`, `channel`, `segment`, `locale`, `survey_id`, `survey_version`, `vendor_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_rollups`("tenant_id", "unit_id", "day", "touchpoint_id", "channel", "segment", "locale", "survey_id", "survey_version", "vendor_id", "promoters", "passives", "detractors", "w", "w2", "w_promoters", "w_detractors", "score_0", "score_1", "score_2", "score_3", "score_4", "score_5", "score_6", "score_7", "score_8", "score_9", "score_10") SELECT "tenant_id", "unit_id", "day", "touchpoint_id", "channel", "segment", "locale", "survey_id", "survey_version", "vendor_id", "promoters", "passives", "detractors", "w", "w2", "w_promoters", "w_detractors", "score_0", "score_1", "score_2", "score_3", "score_4", "score_5", "score_6", "score_7", "score_8", "score_9", "score_10" FROM `rollups` ORDER BY "tenant_id", "unit_id", "day", "touchpoint_id", "channel", "segment", "locale", "survey_id", "survey_version", "vendor_id";--> statement-breakpoint
DROP TABLE `rollups`;--> statement-breakpoint
ALTER TABLE `__new_rollups` RENAME TO `rollups`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `rollups_tenant_day` ON `rollups` (`tenant_id`,`day`);