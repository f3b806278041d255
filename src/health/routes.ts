import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { errors, json } from '../lib/openapi';

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness with a database round trip',
  security: [],
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'The Worker and its database answer'), ...errors(503) },
});

export const healthRoutes = createRouter().openapi(healthz, async (c) => {
  try {
    // The directory when there is one (every request starts there), else the one database.
    const plane = c.get('plane');
    await (plane.directory ?? plane.single()!).run(sql`select 1`);
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: 'database unreachable', cause: String(err) }));
    throw new ApiError('UNAVAILABLE', 'the database does not answer');
  }
  return c.json({ status: 'ok' as const }, 200);
});
