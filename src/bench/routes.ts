import { Hono } from 'hono';
import { rateLimits } from '../db/schema';
import { runDatabaseJobs } from '../jobs/cron';
import type { AppEnv } from '../lib/create-app';

/**
 * Baselines for `npm run bench` (bench/README.md), in the same workerd as the product:
 *  - `GET /__bench/noop`: a bare Hono route, the framework floor;
 *  - `POST /__bench/insert`: one INSERT through the request's database client, the storage floor;
 *  - `GET /__bench/cron?cron=`: one cron expression's jobs on every data database, run to the end
 *    within the request, as the queue consumer runs each `cron.tick` (the scheduled handler only
 *    fans the ticks out), so the bench can time a tick.
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

benchRoutes.get('/__bench/cron', async (c) => {
  const cron = c.req.query('cron') ?? '* * * * *';
  const scheduledTime = Date.now();
  for (const d of await c.get('plane').databases()) {
    await runDatabaseJobs({ type: 'cron.tick', idempotencyKey: `bench:${cron}:${d.id}:${scheduledTime}`, cron, databaseId: d.id, scheduledTime }, c.env);
  }
  return c.text('ok');
});
