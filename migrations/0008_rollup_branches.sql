CREATE TABLE `rollup_branch_days` (
	`tenant_id` text NOT NULL,
	`ancestor_id` text NOT NULL,
	`child_id` text NOT NULL,
	`day` text NOT NULL,
	`segment` text NOT NULL,
	`promoters` integer NOT NULL,
	`passives` integer NOT NULL,
	`detractors` integer NOT NULL,
	`w` real NOT NULL,
	`w2` real NOT NULL,
	`w_promoters` real NOT NULL,
	`w_detractors` real NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollup_branch_days_cell` ON `rollup_branch_days` (`tenant_id`,`ancestor_id`,`day`,`child_id`,`segment`);--> statement-breakpoint
CREATE TABLE `rollup_branch_months` (
	`tenant_id` text NOT NULL,
	`ancestor_id` text NOT NULL,
	`child_id` text NOT NULL,
	`month` text NOT NULL,
	`segment` text NOT NULL,
	`promoters` integer NOT NULL,
	`passives` integer NOT NULL,
	`detractors` integer NOT NULL,
	`w` real NOT NULL,
	`w2` real NOT NULL,
	`w_promoters` real NOT NULL,
	`w_detractors` real NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollup_branch_months_cell` ON `rollup_branch_months` (`tenant_id`,`ancestor_id`,`month`,`child_id`,`segment`);--> statement-breakpoint
ALTER TABLE `rollup_watermarks` ADD `tree_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Backfill the branch totals of answers folded before this migration: every pair (parent of c, c)
-- where c is a strict ancestor of the cell's unit.
INSERT INTO `rollup_branch_days` (`tenant_id`, `ancestor_id`, `child_id`, `day`, `segment`, `promoters`, `passives`, `detractors`, `w`, `w2`, `w_promoters`, `w_detractors`)
SELECT r.`tenant_id`, c.`parent_id`, c.`id`, r.`day`, r.`segment`, sum(r.`promoters`), sum(r.`passives`), sum(r.`detractors`), sum(r.`w`), sum(r.`w2`), sum(r.`w_promoters`), sum(r.`w_detractors`)
FROM `rollups` r JOIN `units` u ON u.`id` = r.`unit_id`
JOIN `units` c ON c.`tenant_id` = r.`tenant_id` AND c.`parent_id` IS NOT NULL AND c.`id` != u.`id` AND substr(u.`path`, 1, length(c.`path`)) = c.`path`
GROUP BY r.`tenant_id`, c.`parent_id`, c.`id`, r.`day`, r.`segment`;--> statement-breakpoint
INSERT INTO `rollup_branch_months` (`tenant_id`, `ancestor_id`, `child_id`, `month`, `segment`, `promoters`, `passives`, `detractors`, `w`, `w2`, `w_promoters`, `w_detractors`)
SELECT r.`tenant_id`, c.`parent_id`, c.`id`, r.`month`, r.`segment`, sum(r.`promoters`), sum(r.`passives`), sum(r.`detractors`), sum(r.`w`), sum(r.`w2`), sum(r.`w_promoters`), sum(r.`w_detractors`)
FROM `rollup_months` r JOIN `units` u ON u.`id` = r.`unit_id`
JOIN `units` c ON c.`tenant_id` = r.`tenant_id` AND c.`parent_id` IS NOT NULL AND c.`id` != u.`id` AND substr(u.`path`, 1, length(c.`path`)) = c.`path`
GROUP BY r.`tenant_id`, c.`parent_id`, c.`id`, r.`month`, r.`segment`;
