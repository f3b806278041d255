import { and, desc, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { webhookDeliveries, webhooks } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { assertOutbound, outboundPolicy } from '../lib/outbound';
import { loadDelivery, postMessage } from './dispatch';
import type { WebhookEvent } from './emit';
import { newWebhookSecret } from './sign';

/*
 * The webhook endpoints of a tenant and their delivery log: subscribe, change, remove, rotate
 * the signing secret, read the log, replay a message. Tenant-wide: each needs the
 * webhook.manage action on the root unit.
 */

/** How long the previous secret keeps signing beside the new one after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
type Hook = Omit<typeof webhooks.$inferSelect, 'tenantId'>;
type Delivery = typeof webhookDeliveries.$inferSelect;
type DeliveryStatus = Delivery['status'];

export const presentHook = (h: Hook) => ({
  id: h.id,
  url: h.url,
  events: h.events as WebhookEvent[],
  active: h.active,
  previousSecretExpiresAt: h.previousSecret ? iso(h.previousSecretExpiresAt) : null,
  createdAt: iso(h.createdAt)!,
  updatedAt: iso(h.updatedAt)!,
});
export const presentDelivery = (d: Delivery) => ({
  id: d.id,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: iso(d.nextAttemptAt),
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  deliveredAt: iso(d.deliveredAt),
  createdAt: iso(d.createdAt)!,
  updatedAt: iso(d.updatedAt)!,
  payload: d.payload,
});

const manage = (d: Deps) => requireTenantWide(d, 'webhook.manage', 'managing webhooks');

/** An endpoint of the tenant, for a caller who manages webhooks; else 403 or 404. */
async function ownHook(d: Deps, id: string): Promise<Hook> {
  await manage(d);
  const [hook] = await d.t.select().from(webhooks).where(eq(webhooks.id, id));
  if (!hook) throw notFound('webhook');
  return hook;
}

/** Subscribes an endpoint to events; answers it with its signing secret (shown this once). */
export async function createWebhook(d: Deps, body: { url: string; events: WebhookEvent[] }) {
  await manage(d);
  assertOutbound({ 'body.url': body.url }, outboundPolicy(d.config));
  const now = Date.now();
  const hook: Hook = {
    id: newId('whk'),
    url: body.url,
    events: body.events,
    secret: newWebhookSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    active: true,
    createdAt: now,
    updatedAt: now,
  };
  await commit(d.t, [d.t.insert(webhooks).values(hook), ...(await audit(d, { action: 'webhook.create', targetType: 'webhook', targetId: hook.id, after: presentHook(hook) }))]);
  return { ...presentHook(hook), secret: hook.secret };
}

/** The endpoints, oldest first (without secrets). */
export async function listWebhooks(d: Deps) {
  await manage(d);
  const rows = await d.t.select().from(webhooks).orderBy(webhooks.createdAt, webhooks.id);
  return rows.map(presentHook);
}

/** Changes the events of an endpoint or (de)activates it. */
export async function updateWebhook(d: Deps, id: string, patch: { events?: WebhookEvent[]; active?: boolean }) {
  const hook = await ownHook(d, id);
  const now = Date.now();
  const after: Hook = { ...hook, events: patch.events ?? hook.events, active: patch.active ?? hook.active, updatedAt: now };
  await commit(d.t, [
    d.t.update(webhooks).set({ events: after.events, active: after.active, updatedAt: now }).where(eq(webhooks.id, hook.id)),
    ...(await audit(d, { action: 'webhook.update', targetType: 'webhook', targetId: hook.id, before: presentHook(hook), after: presentHook(after), details: { changed: Object.keys(patch) } })),
  ]);
  return presentHook(after);
}

/** Removes an endpoint and its delivery log. */
export async function deleteWebhook(d: Deps, id: string) {
  const hook = await ownHook(d, id);
  await commit(d.t, [
    d.t.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id)),
    d.t.delete(webhooks).where(eq(webhooks.id, hook.id)),
    ...(await audit(d, { action: 'webhook.delete', targetType: 'webhook', targetId: hook.id, before: presentHook(hook) })),
  ]);
}

/** A new signing secret; the one it replaces signs beside it for the overlap, an older one is dropped. */
export async function rotateWebhookSecret(d: Deps, id: string) {
  const hook = await ownHook(d, id);
  const now = Date.now();
  const after: Hook = { ...hook, secret: newWebhookSecret(), previousSecret: hook.secret, previousSecretExpiresAt: now + ROTATION_OVERLAP_MS, updatedAt: now };
  await commit(d.t, [
    d.t.update(webhooks).set({ secret: after.secret, previousSecret: after.previousSecret, previousSecretExpiresAt: after.previousSecretExpiresAt, updatedAt: now }).where(eq(webhooks.id, hook.id)),
    ...(await audit(d, { action: 'webhook.rotate_secret', targetType: 'webhook', targetId: hook.id, details: { previousSecretExpiresAt: iso(after.previousSecretExpiresAt) } })),
  ]);
  return { ...presentHook(after), secret: after.secret };
}

/** The delivery log of an endpoint, newest first. */
export async function listDeliveries(d: Deps, id: string, q: { status?: DeliveryStatus; limit: number }) {
  const hook = await ownHook(d, id);
  const rows = await d.t
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, hook.id), q.status ? eq(webhookDeliveries.status, q.status) : undefined))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(q.limit);
  return rows.map(presentDelivery);
}

/**
 * Sends a message again now, with the same webhook-id: one attempt outside the retry schedule.
 * Success marks the delivery delivered; a failure is recorded and leaves its status as it was.
 */
export async function replayDelivery(d: Deps, id: string, deliveryId: string) {
  const hook = await ownHook(d, id);
  const [row] = await loadDelivery(d.t, deliveryId);
  if (!row || row.delivery.webhookId !== hook.id) throw notFound('delivery');
  if (!row.hook.active) throw new ApiError('UNPROCESSABLE', 'the endpoint is disabled; activate it before replaying');
  const now = Date.now();
  const result = await postMessage(outboundPolicy(d.config), row.hook, row.delivery, now);
  const change = result.ok
    ? { status: 'delivered' as const, deliveredAt: now, nextAttemptAt: null, lastStatusCode: result.statusCode, lastError: null }
    : { lastStatusCode: result.statusCode, lastError: result.error };
  const [[updated]] = await commit(d.t, [
    d.t
      .update(webhookDeliveries)
      .set({ ...change, attempts: sql`${webhookDeliveries.attempts} + 1`, updatedAt: now })
      .where(eq(webhookDeliveries.id, deliveryId))
      .returning(),
    ...(await audit(d, { action: 'webhook.replay', targetType: 'webhook_delivery', targetId: deliveryId, details: { webhookId: hook.id, ok: result.ok, statusCode: result.statusCode } })),
  ]);
  return { ...result, delivery: presentDelivery(updated as Delivery) };
}
