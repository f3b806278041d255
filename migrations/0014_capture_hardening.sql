CREATE TABLE `revoked_links` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`touchpoint_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`touchpoint_id`) REFERENCES `touchpoints`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `revoked_links_tenant_touchpoint` ON `revoked_links` (`tenant_id`,`touchpoint_id`);--> statement-breakpoint
ALTER TABLE `responses` ADD `form_nonce` text;--> statement-breakpoint
CREATE UNIQUE INDEX `responses_tenant_form_nonce` ON `responses` (`tenant_id`,`form_nonce`) WHERE form_nonce is not null;