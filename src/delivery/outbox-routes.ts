import { createRoute, z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { CHANNELS, devOutbox } from '../db/schema';
import { createRouter, type AppEnv } from '../lib/create-app';
import { notFound } from '../lib/errors';
import { errors, json } from '../lib/openapi';

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

/** Before anything else, so any other environment answers 404 whatever the query. */
const developmentOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('config').environment !== 'development') throw notFound('the dev outbox (development only)');
  await next();
});

const route = createRoute({
  method: 'get',
  path: '/dev/outbox',
  tags: ['development'],
  summary: 'Development only: email and SMS that would have gone out, newest first',
  security: [],
  description:
    'With ENVIRONMENT=development and no provider configured for a channel, email and SMS land here instead of being sent. No credential: it is a local tool and answers 404 in any other environment.',
  middleware: [developmentOnly] as const,
  request: { query: Query },
  responses: { 200: json(z.object({ items: z.array(OutboxMessage) }), 'Captured messages'), ...errors(400, 404) },
});

export const outboxRoutes = createRouter().openapi(route, async (c) => {
  const { to, limit } = c.req.valid('query');
  const rows = await c
    .get('db')
    .select()
    .from(devOutbox)
    .where(to === undefined ? undefined : eq(devOutbox.recipient, to))
    .orderBy(desc(devOutbox.createdAt), desc(devOutbox.id))
    .limit(limit);
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
