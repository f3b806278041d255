import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';

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
/** SQL: whether any active webhook of the tenant (a tenant_id column or value) subscribes to the event type. */
export const webhookWants = (tenantId: SQL, type: WebhookEvent) =>
  sql<number>`exists (select 1 from webhooks w where w.tenant_id = ${tenantId} and w.active = 1 and exists (select 1 from json_each(w.events) e where e.value = ${type}))`;

export function webhookEvent(db: Db, tenantId: string, type: WebhookEvent, data: Record<string, unknown>, now: number, key?: string) {
  const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  const id = key === undefined ? sql`'msg_' || lower(hex(randomblob(12)))` : sql`'msg_' || ${key} || '_' || w.id`;
  return db.run(sql`insert into webhook_deliveries (id, tenant_id, webhook_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
    select ${id}, w.tenant_id, w.id, ${type}, ${payload}, 'pending', 0, ${now}, ${now}, ${now}
    from webhooks w
    where w.tenant_id = ${tenantId} and w.active = 1 and exists (select 1 from json_each(w.events) e where e.value = ${type})
    on conflict (id) do nothing`);
}
