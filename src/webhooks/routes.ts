import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { webhookDeliveries, webhooks } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { assertOutbound, outboundPolicy } from '../lib/outbound';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { loadDelivery, postMessage } from './dispatch';
import { WEBHOOK_EVENTS } from './emit';
import { newWebhookSecret } from './sign';

/** How long the previous secret keeps signing beside the new one after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
type Hook = typeof webhooks.$inferSelect;
type Delivery = typeof webhookDeliveries.$inferSelect;

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    active: z.boolean(),
    previousSecretExpiresAt: z.string().nullable().openapi({ description: 'While in the future, the previous secret signs beside the current one' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Webhook');
const WithSecret = WebhookSchema.extend({ secret: z.string().openapi({ description: '`whsec_…` (Standard Webhooks); shown once' }) }).openapi('WebhookWithSecret');

const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: 'The `webhook-id` header, the same on every retry and replay' }),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    payload: z.record(z.string(), z.unknown()),
  })
  .openapi('WebhookDelivery');

const presentHook = (h: Hook) => ({
  id: h.id,
  url: h.url,
  events: h.events as (typeof WEBHOOK_EVENTS)[number][],
  active: h.active,
  previousSecretExpiresAt: h.previousSecret ? iso(h.previousSecretExpiresAt) : null,
  createdAt: iso(h.createdAt)!,
  updatedAt: iso(h.updatedAt)!,
});
const presentDelivery = (d: Delivery) => ({
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

const url = z.url({ protocol: /^https?$/ }).max(2000);
const events = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .refine((e) => new Set(e).size === e.length, 'list each event once');
const CreateWebhook = z.strictObject({ url, events }).openapi('CreateWebhook');
const UpdateWebhook = z
  .strictObject({ events: events.optional(), active: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateWebhook');
const DeliveryParams = IdParam.extend({
  deliveryId: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'deliveryId', in: 'path' } }),
});
const DeliveriesQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

async function ownHook(c: AppContext, id: string): Promise<Hook> {
  await requireTenantWide(deps(c), 'webhook.manage', 'managing webhooks');
  const tenantId = c.get('actor').tenantId;
  const [hook] = await c
    .get('db')
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, id)));
  if (!hook) throw notFound('webhook');
  return hook;
}

const tags = ['webhooks'];
const routes = {
  create: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Subscribe an endpoint to events; answers its signing secret once',
    request: { body: jsonBody(CreateWebhook) },
    responses: { 201: json(WithSecret, 'Created'), ...errors(...AUTHED, 422) },
  }),
  list: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'The endpoints (without secrets)',
    responses: { 200: json(z.object({ items: z.array(WebhookSchema) }), 'Endpoints'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'patch',
    path: '/api/v1/webhooks/{id}',
    summary: 'Change the events of an endpoint or (de)activate it',
    request: { params: IdParam, body: jsonBody(UpdateWebhook) },
    responses: { 200: json(WebhookSchema, 'Updated'), ...errors(...AUTHED) },
  }),
  delete: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'delete',
    path: '/api/v1/webhooks/{id}',
    summary: 'Remove an endpoint and its delivery log',
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(...AUTHED) },
  }),
  rotate: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/webhooks/{id}/rotate-secret',
    summary: 'A new signing secret; the previous one keeps signing beside it for 24 hours',
    request: { params: IdParam },
    responses: { 200: json(WithSecret, 'The endpoint with its new secret (shown once)'), ...errors(...AUTHED) },
  }),
  deliveries: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    summary: 'The delivery log of an endpoint, newest first',
    request: { params: IdParam, query: DeliveriesQuery },
    responses: { 200: json(z.object({ items: z.array(DeliverySchema) }), 'Deliveries'), ...errors(...AUTHED) },
  }),
  replay: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/webhooks/{id}/deliveries/{deliveryId}/replay',
    summary: 'Send a message again now, with the same webhook-id',
    description: 'One attempt, outside the retry schedule. Success marks the delivery delivered; a failure is recorded and leaves its status as it was.',
    request: { params: DeliveryParams },
    responses: {
      200: json(z.object({ ok: z.boolean(), statusCode: z.number().int().nullable(), error: z.string().nullable(), delivery: DeliverySchema }), 'The outcome of the attempt'),
      ...errors(...AUTHED, 422),
    },
  }),
};

export const webhookRoutes = createRouter()
  .openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    await requireTenantWide(deps(c), 'webhook.manage', 'managing webhooks');
    assertOutbound({ 'body.url': body.url }, outboundPolicy(c.get('config')));
    const db = c.get('db');
    const now = Date.now();
    const hook: Hook = {
      id: newId('whk'),
      tenantId: c.get('actor').tenantId,
      url: body.url,
      events: body.events,
      secret: newWebhookSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    await commit(db, [db.insert(webhooks).values(hook), ...(await audit(deps(c), { action: 'webhook.create', targetType: 'webhook', targetId: hook.id, after: presentHook(hook) }))]);
    return c.json({ ...presentHook(hook), secret: hook.secret }, 201);
  })
  .openapi(routes.list, async (c) => {
    await requireTenantWide(deps(c), 'webhook.manage', 'managing webhooks');
    const rows = await c
      .get('db')
      .select()
      .from(webhooks)
      .where(eq(webhooks.tenantId, c.get('actor').tenantId))
      .orderBy(webhooks.createdAt, webhooks.id);
    return c.json({ items: rows.map(presentHook) }, 200);
  })
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    const hook = await ownHook(c, c.req.valid('param').id);
    const db = c.get('db');
    const now = Date.now();
    const after: Hook = { ...hook, events: patch.events ?? hook.events, active: patch.active ?? hook.active, updatedAt: now };
    await commit(db, [
      db
        .update(webhooks)
        .set({ events: after.events, active: after.active, updatedAt: now })
        .where(and(eq(webhooks.tenantId, hook.tenantId), eq(webhooks.id, hook.id))),
      ...(await audit(deps(c), { action: 'webhook.update', targetType: 'webhook', targetId: hook.id, before: presentHook(hook), after: presentHook(after), details: { changed: Object.keys(patch) } })),
    ]);
    return c.json(presentHook(after), 200);
  })
  .openapi(routes.delete, async (c) => {
    const hook = await ownHook(c, c.req.valid('param').id);
    const db = c.get('db');
    await commit(db, [
      db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.tenantId, hook.tenantId), eq(webhookDeliveries.webhookId, hook.id))),
      db.delete(webhooks).where(and(eq(webhooks.tenantId, hook.tenantId), eq(webhooks.id, hook.id))),
      ...(await audit(deps(c), { action: 'webhook.delete', targetType: 'webhook', targetId: hook.id, before: presentHook(hook) })),
    ]);
    return c.body(null, 204);
  })
  .openapi(routes.rotate, async (c) => {
    const hook = await ownHook(c, c.req.valid('param').id);
    const db = c.get('db');
    const now = Date.now();
    // The secret being replaced signs beside the new one for the overlap; an older one is dropped.
    const after: Hook = { ...hook, secret: newWebhookSecret(), previousSecret: hook.secret, previousSecretExpiresAt: now + ROTATION_OVERLAP_MS, updatedAt: now };
    await commit(db, [
      db
        .update(webhooks)
        .set({ secret: after.secret, previousSecret: after.previousSecret, previousSecretExpiresAt: after.previousSecretExpiresAt, updatedAt: now })
        .where(and(eq(webhooks.tenantId, hook.tenantId), eq(webhooks.id, hook.id))),
      ...(await audit(deps(c), { action: 'webhook.rotate_secret', targetType: 'webhook', targetId: hook.id, details: { previousSecretExpiresAt: iso(after.previousSecretExpiresAt) } })),
    ]);
    return c.json({ ...presentHook(after), secret: after.secret }, 200);
  })
  .openapi(routes.deliveries, async (c) => {
    const hook = await ownHook(c, c.req.valid('param').id);
    const { status, limit } = c.req.valid('query');
    const rows = await c
      .get('db')
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, hook.tenantId), eq(webhookDeliveries.webhookId, hook.id), status ? eq(webhookDeliveries.status, status) : undefined))
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(limit);
    return c.json({ items: rows.map(presentDelivery) }, 200);
  })
  .openapi(routes.replay, async (c) => {
    const { id, deliveryId } = c.req.valid('param');
    const hook = await ownHook(c, id);
    const db = c.get('db');
    const [row] = await loadDelivery(db, hook.tenantId, deliveryId);
    if (!row || row.delivery.webhookId !== hook.id) throw notFound('delivery');
    if (!row.hook.active) throw new ApiError('UNPROCESSABLE', 'the endpoint is disabled; activate it before replaying');
    const now = Date.now();
    const result = await postMessage(outboundPolicy(c.get('config')), row.hook, row.delivery, now);
    const where = and(eq(webhookDeliveries.tenantId, hook.tenantId), eq(webhookDeliveries.id, deliveryId));
    const change = result.ok
      ? { status: 'delivered' as const, deliveredAt: now, nextAttemptAt: null, lastStatusCode: result.statusCode, lastError: null }
      : { lastStatusCode: result.statusCode, lastError: result.error };
    const [[updated]] = await commit(db, [
      db
        .update(webhookDeliveries)
        .set({ ...change, attempts: sql`${webhookDeliveries.attempts} + 1`, updatedAt: now })
        .where(where)
        .returning(),
      ...(await audit(deps(c), { action: 'webhook.replay', targetType: 'webhook_delivery', targetId: deliveryId, details: { webhookId: hook.id, ok: result.ok, statusCode: result.statusCode } })),
    ]);
    return c.json({ ...result, delivery: presentDelivery(updated as Delivery) }, 200);
  });
