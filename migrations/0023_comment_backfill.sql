CREATE TABLE `comment_backfill` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`through` integer NOT NULL,
	`due_at` integer,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `comment_backfill_due` ON `comment_backfill` (`due_at`) WHERE "comment_backfill"."due_at" is not null;--> statement-breakpoint
CREATE INDEX `comment_analyses_tenant` ON `comment_analyses` (`tenant_id`);