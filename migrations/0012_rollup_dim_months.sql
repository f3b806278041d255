CREATE TABLE `rollup_dim_months` (
	`tenant_id` text NOT NULL,
	`ancestor_id` text NOT NULL,
	`month` text NOT NULL,
	`dim` text NOT NULL,
	`value` text NOT NULL,
	`segment` text NOT NULL,
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
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollup_dim_months_cell` ON `rollup_dim_months` (`tenant_id`,`ancestor_id`,`month`,`dim`,`value`,`segment`);--> statement-breakpoint
-- Build the new month totals for every closed month: the next cron tick closes all months again
-- from the day cells (month rows and branch months are rewritten with the same sums).
UPDATE `rollup_watermarks` SET `months_closed_through` = '';
