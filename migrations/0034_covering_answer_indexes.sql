DROP INDEX `responses_tenant_unit_created`;--> statement-breakpoint
DROP INDEX `responses_tenant_vendor_created`;--> statement-breakpoint
DROP INDEX `responses_tenant_agent_created`;--> statement-breakpoint
CREATE INDEX `responses_tenant_unit_created` ON `responses` (`tenant_id`,`unit_id`,`created_at`,`counted`,`score`,`lifetime_value`,`segment`,`agent_id`,`vendor_id`,`contact_id`);--> statement-breakpoint
CREATE INDEX `responses_tenant_vendor_created` ON `responses` (`tenant_id`,`vendor_id`,`created_at`,`unit_id`,`counted`,`score`,`lifetime_value`,`segment`,`agent_id`) WHERE vendor_id is not null;--> statement-breakpoint
CREATE INDEX `responses_tenant_agent_created` ON `responses` (`tenant_id`,`agent_id`,`created_at`,`unit_id`,`counted`,`score`,`lifetime_value`,`segment`) WHERE agent_id is not null;