CREATE TABLE `rollup_months` (
	`tenant_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`month` text NOT NULL,
	`segment` text NOT NULL,
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
CREATE UNIQUE INDEX `rollup_months_cell` ON `rollup_months` (`tenant_id`,`unit_id`,`month`,`segment`);--> statement-breakpoint
CREATE INDEX `rollup_months_tenant_month` ON `rollup_months` (`tenant_id`,`month`);