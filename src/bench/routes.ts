import { Hono } from 'hono';
import { rateLimits } from '../db/schema';
import { planTicks, runDatabaseJobs } from '../jobs/cron';
import { bindTenant } from '../lib/bind-tenant';
import type { AppEnv } from '../lib/create-app';

/**
 * Baselines for `npm run bench` (bench/README.md), in the same workerd as the product:
 *  - `GET /__bench/noop`: a bare Hono route, the framework floor;
 *  - `POST /__bench/insert[?tenant=]`: one INSERT through the request's database client, the
 *    storage floor; with a directory, the client of the tenant's database, found as capture finds it;
 *  - `GET /__bench/cron?cron=[&database=]`: one cron expression's jobs on every data database (or
 *    one), run to the end within the request, as the queue consumer runs each `cron.tick` (the
 *    scheduled handler only fans the ticks out), so the bench can time a tick;
 *  - `GET /__bench/cron?cron=&probe=1[&at=]`: a whole Cron Trigger: the scheduled handler's fan-out
 *    (a due-work probe per database, src/jobs/cron.ts planTicks), then each tick's jobs run to the
 *    end, one database after the other; answers the ticks and the time of each half.
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
  const tenant = c.req.query('tenant');
  if (tenant && !(await bindTenant(c, tenant))) return c.notFound();
  await c
    .get('db')
    .insert(rateLimits)
    .values({ key: `bench:${crypto.randomUUID()}`, windowStart: Date.now(), count: 1 });
  return c.text('ok');
});

benchRoutes.get('/__bench/cron', async (c) => {
  const cron = c.req.query('cron') ?? '* * * * *';
  const scheduledTime = Number(c.req.query('at') ?? Date.now());
  const tick = (databaseId: string) => ({ type: 'cron.tick' as const, idempotencyKey: `bench:${cron}:${databaseId}:${scheduledTime}`, cron, databaseId, scheduledTime });
  if (c.req.query('probe') === '1') {
    const t0 = performance.now();
    const databases = (await c.get('plane').databases()).length;
    const ticks = await planTicks(cron, c.env, scheduledTime);
    const t1 = performance.now();
    for (const t of ticks) await runDatabaseJobs(t, c.env);
    return c.json({ databases, ticks: ticks.map((t) => ({ databaseId: t.databaseId, jobs: t.jobs ?? [] })), probeMs: t1 - t0, jobsMs: performance.now() - t1 });
  }
  const only = c.req.query('database');
  for (const d of await c.get('plane').databases()) if (!only || d.id === only) await runDatabaseJobs(tick(d.id), c.env);
  return c.text('ok');
});
