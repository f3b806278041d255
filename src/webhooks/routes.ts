import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { WEBHOOK_EVENTS } from './emit';
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks, replayDelivery, rotateWebhookSecret, updateWebhook } from './endpoints';

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
  .openapi(routes.create, async (c) => c.json(await createWebhook(deps(c), c.req.valid('json')), 201))
  .openapi(routes.list, async (c) => c.json({ items: await listWebhooks(deps(c)) }, 200))
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    return c.json(await updateWebhook(deps(c), c.req.valid('param').id, patch), 200);
  })
  .openapi(routes.delete, async (c) => {
    await deleteWebhook(deps(c), c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(routes.rotate, async (c) => c.json(await rotateWebhookSecret(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.deliveries, async (c) => {
    const q = c.req.valid('query');
    return c.json({ items: await listDeliveries(deps(c), c.req.valid('param').id, q) }, 200);
  })
  .openapi(routes.replay, async (c) => {
    const { id, deliveryId } = c.req.valid('param');
    return c.json(await replayDelivery(deps(c), id, deliveryId), 200);
  });
