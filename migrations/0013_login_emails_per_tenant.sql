PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_login_emails` (
	`email` text NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`email`, `tenant_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_login_emails`("email", "tenant_id", "user_id") SELECT "email", "tenant_id", "user_id" FROM `login_emails`;--> statement-breakpoint
DROP TABLE `login_emails`;--> statement-breakpoint
ALTER TABLE `__new_login_emails` RENAME TO `login_emails`;--> statement-breakpoint
PRAGMA foreign_keys=ON;