CREATE TABLE `sign_in_networks` (
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`network_hash` text NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `user_id`, `network_hash`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sign_in_networks_last` ON `sign_in_networks` (`last_at`);--> statement-breakpoint
ALTER TABLE `responses` ADD `network_hash` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `network_hash` text;