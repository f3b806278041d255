ALTER TABLE `rollup_branch_days` ADD `score_0` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_1` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_2` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_3` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_4` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_5` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_6` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_7` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_8` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_9` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_days` ADD `score_10` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_0` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_1` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_2` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_3` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_4` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_5` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_6` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_7` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_8` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_9` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_branch_months` ADD `score_10` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_0` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_1` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_2` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_3` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_4` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_5` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_6` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_7` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_8` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_9` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_months` ADD `score_10` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_0` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_1` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_2` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_3` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_4` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_5` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_6` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_7` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_8` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_9` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollups` ADD `score_10` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Rollups folded before this migration have no distribution: empty them and rewind every
-- watermark, so the next cron ticks fold all answers again (100,000 per tenant per tick).
-- Scores stay exact meanwhile: whatever is past the watermark is read from the answers.
DELETE FROM `rollups`;--> statement-breakpoint
DELETE FROM `rollup_months`;--> statement-breakpoint
DELETE FROM `rollup_branch_days`;--> statement-breakpoint
DELETE FROM `rollup_branch_months`;--> statement-breakpoint
UPDATE `rollup_watermarks` SET `response_seq` = 0;
