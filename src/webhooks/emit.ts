import { sql } from 'drizzle-orm';
import { webhooks } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';

/** The event types tenants can subscribe webhooks to. */
export const WEBHOOK_EVENTS = ['response.created', 'case.opened', 'case.escalated', 'case.resolved', 'alert.raised', 'contact.erased'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * One statement that queues an event for every active webhook of the tenant subscribed to it:
 * a pending delivery row each (`webhook-id` `msg_…`), sent by the webhook dispatcher. Put it in
 * the same batch as the change it reports, so the event exists exactly when the change does.
 * With a `key` (unique per event, e.g. the response id) the message ids derive from it and a
 * second emit of the same event adds nothing: idempotent without a row of its own.
 */
/** SQL: whether any active webhook of the tenant subscribes to the event type. */
export const webhookWants = (t: TenantDb, type: WebhookEvent) =>
  sql<number>`exists (select 1 from ${webhooks} where ${t.owns(webhooks)} and ${webhooks.active} = 1 and exists (select 1 from json_each(${webhooks.events}) e where e.value = ${type}))`;

export function webhookEvent(t: TenantDb, type: WebhookEvent, data: Record<string, unknown>, now: number, key?: string) {
  const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  const id = key === undefined ? sql`'msg_' || lower(hex(randomblob(12)))` : sql`'msg_' || ${key} || '_' || ${webhooks.id}`;
  return t.run(sql`insert into webhook_deliveries (id, tenant_id, webhook_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
    select ${id}, ${webhooks.tenantId}, ${webhooks.id}, ${type}, ${payload}, 'pending', 0, ${now}, ${now}, ${now}
    from ${webhooks}
    where ${t.owns(webhooks)} and ${webhooks.active} = 1 and exists (select 1 from json_each(${webhooks.events}) e where e.value = ${type})
    on conflict (id) do nothing`);
}
