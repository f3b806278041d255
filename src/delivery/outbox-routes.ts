import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { authenticate } from '../auth/authenticate';
import { CHANNELS } from '../db/schema';
import { createRouter, type AppEnv } from '../lib/create-app';
import { notFound } from '../lib/errors';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { outboxMessages } from './outbox';

const OutboxMessage = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    channel: z.enum(CHANNELS),
    to: z.string(),
    subject: z.string().nullable(),
    body: z.string(),
    invitationId: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('OutboxMessage');

const Query = z.strictObject({
  to: z.string().min(1).max(320).optional().openapi({ description: 'Only messages to this address or number' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** Before anything else, credential included, so production answers 404 whatever is sent: the outbox exists only in the local stack. */
const localStackOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('config').environment === 'production') throw notFound('the dev outbox (local stack only)');
  await next();
});

const route = createRoute({
  method: 'get',
  path: '/dev/outbox',
  tags: ['development'],
  summary: "Local stack only: the tenant's email and SMS that would have gone out, newest first",
  description:
    "With ENVIRONMENT=development and no provider configured for a channel, email and SMS land here instead of being sent. The local stack's tool (development and test): the tenant's admin reads the tenant's own messages; production answers 404.",
  security,
  middleware: [localStackOnly, authenticate] as const,
  request: { query: Query },
  responses: { 200: json(z.object({ items: z.array(OutboxMessage) }), 'Captured messages'), ...errors(...AUTHED) },
});

export const outboxRoutes = createRouter().openapi(route, async (c) => {
  const rows = await outboxMessages(deps(c), c.req.valid('query'));
  return c.json(
    {
      items: rows.map((r) => ({
        id: r.id,
        tenantId: r.tenantId,
        channel: r.channel,
        to: r.recipient,
        subject: r.subject,
        body: r.body,
        invitationId: r.invitationId,
        createdAt: new Date(r.createdAt).toISOString(),
      })),
    },
    200,
  );
});
