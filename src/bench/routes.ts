import { Hono } from 'hono';
import { rateLimits } from '../db/schema';
import type { AppEnv } from '../lib/create-app';

/**
 * Baselines for `npm run bench` (bench/README.md), in the same workerd as the product:
 *  - `GET /__bench/noop`: a bare Hono route, the framework floor;
 *  - `POST /__bench/insert`: one INSERT through the request's database client, the storage floor.
 * Development only: every path under /__bench answers 404 (the API's not-found envelope)
 * unless the Worker runs with the var BENCH = "1" outside production (only the bench sets it:
 * scripts/bench-stack.ts). A plain Hono router, so nothing here enters the OpenAPI document.
 */
export const benchRoutes = new Hono<AppEnv>();

benchRoutes.use('/__bench/*', async (c, next) => {
  if ((c.env as { BENCH?: string }).BENCH !== '1' || c.get('config').environment === 'production') return c.notFound();
  await next();
});

benchRoutes.get('/__bench/noop', (c) => c.text('ok'));

// rate_limits: a small table keyed by text with no foreign keys; the bench deletes its `bench:` rows afterwards.
benchRoutes.post('/__bench/insert', async (c) => {
  await c
    .get('db')
    .insert(rateLimits)
    .values({ key: `bench:${crypto.randomUUID()}`, windowStart: Date.now(), count: 1 });
  return c.text('ok');
});
