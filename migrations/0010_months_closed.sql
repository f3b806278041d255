ALTER TABLE `rollup_watermarks` ADD `months_closed_through` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Month rows are now built when a month closes: drop any, the close job rebuilds them from the day rows.
DELETE FROM `rollup_months`;--> statement-breakpoint
DELETE FROM `rollup_branch_months`;
