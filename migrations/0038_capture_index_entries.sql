-- Fewer index entries moved by an answer (docs/capture.md, "Idempotency: one response per invitation"): the funnel reads invitations by (tenant, due_at),
-- not by status; the scans' expiry and reminder picks already use the partial indexes of 0017; only anonymous answers carry a client hash.
DROP INDEX `invitations_tenant_status_due`;--> statement-breakpoint
DROP INDEX `invitations_tenant_status_expires`;--> statement-breakpoint
DROP INDEX `invitations_tenant_status_reminder`;--> statement-breakpoint
CREATE INDEX `invitations_tenant_due` ON `invitations` (`tenant_id`,`due_at`);--> statement-breakpoint
DROP INDEX `responses_tenant_client_created`;--> statement-breakpoint
CREATE INDEX `responses_tenant_client_created` ON `responses` (`tenant_id`,`client_hash`,`created_at`) WHERE client_hash is not null;