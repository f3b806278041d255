ALTER TABLE `responses` ADD `tenure_months` integer;--> statement-breakpoint
ALTER TABLE `responses` ADD `contract_size` text;--> statement-breakpoint
ALTER TABLE `responses` ADD `support_tier` text;--> statement-breakpoint
ALTER TABLE `rollup_watermarks` ADD `contact_dims_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `rollup_watermarks_contact_dims_behind` ON `rollup_watermarks` ((contact_dims_seq < response_seq));--> statement-breakpoint
-- Existing answers take their contact's attributes as they stand now (the best known: they were
-- not kept with the answer before). The contact dimension totals are then built by the fold,
-- batch by batch, from contact_dims_seq 0 (docs/dimensions.md).
UPDATE `responses` SET `tenure_months` = c.`tenure_months`, `contract_size` = c.`contract_size`, `support_tier` = c.`support_tier`
FROM `contacts` c WHERE c.`id` = `responses`.`contact_id` AND c.`tenant_id` = `responses`.`tenant_id`;
