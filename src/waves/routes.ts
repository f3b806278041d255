import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { touchpoints, units, waves } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { nextRunAfter, scheduleError } from './schedule';

export const Audience = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('accounts') }).openapi({ description: 'Every contact with an accountId: each stakeholder of each B2B account' }),
    z.strictObject({ kind: z.literal('segment'), segment: z.string().trim().min(1).max(100) }).openapi({ description: 'Every contact of the segment' }),
  ])
  .openapi('WaveAudience');
export type Audience = z.infer<typeof Audience>;

const WaveSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    touchpointKey: z.string(),
    schedule: z.string(),
    timezone: z.string().openapi({ description: "The tenant root's time zone, in which the schedule is read" }),
    audience: Audience,
    unitId: z.string(),
    active: z.boolean(),
    nextRunAt: z.string().openapi({ format: 'date-time' }),
    lastRunAt: z.string().nullable().openapi({ format: 'date-time' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Wave');

const name = z.string().trim().min(1).max(200);
const schedule = z.string().trim().min(1).max(100).openapi({ description: "Five-part cron expression in the root unit's time zone, e.g. `0 9 1 1,4,7,10 *` (quarterly)" });

const CreateWave = z
  .strictObject({
    touchpointKey: z.string().min(1).max(60),
    name,
    schedule,
    audience: Audience,
    unitId: z.string().min(1).max(64).openapi({ description: 'The unit the invitations (and their answers) are attributed to' }),
  })
  .openapi('CreateWave');
const UpdateWave = z
  .strictObject({ name: name.optional(), schedule: schedule.optional(), active: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateWave');

type WaveRow = typeof waves.$inferSelect;
const iso = (ms: number) => new Date(ms).toISOString();
const present = (w: WaveRow, touchpointKey: string, timezone: string) => ({
  id: w.id,
  name: w.name,
  touchpointKey,
  schedule: w.schedule,
  timezone,
  audience: w.audience as Audience,
  unitId: w.unitId,
  active: w.active,
  nextRunAt: iso(w.nextRunAt),
  lastRunAt: w.lastRunAt === null ? null : iso(w.lastRunAt),
  createdAt: iso(w.createdAt),
  updatedAt: iso(w.updatedAt),
});

const requireWaveAdmin = (c: AppContext) => requireTenantWide(deps(c), 'wave.manage', 'managing waves');

function validSchedule(expression: string, timezone: string) {
  const problem = scheduleError(expression, timezone);
  if (problem) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'body.schedule', message: problem }]);
  return expression;
}

async function findWave(c: AppContext, id: string) {
  const tenantId = c.get('actor').tenantId;
  const [row] = await c
    .get('db')
    .select({ wave: waves, touchpointKey: touchpoints.key })
    .from(waves)
    .innerJoin(touchpoints, and(eq(touchpoints.id, waves.touchpointId), eq(touchpoints.tenantId, waves.tenantId)))
    .where(and(eq(waves.tenantId, tenantId), eq(waves.id, id)));
  if (!row) throw notFound('wave');
  return row;
}

const tags = ['waves'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/waves',
    tags,
    summary: 'Recurring relationship waves of the tenant',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(WaveSchema) }), 'Waves, oldest first'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/waves',
    tags,
    summary: 'Schedule a recurring wave: a touchpoint sent to an audience on a cron schedule',
    description: 'Cron starts each run when due; every audience contact is decided by the delivery rules (docs/delivery-rules.md).',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateWave) },
    responses: { 201: json(WaveSchema, 'Created'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/waves/{id}',
    tags,
    summary: 'Rename, reschedule, pause or resume a wave',
    description: 'A new schedule, or resuming, sets the next run from now.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(UpdateWave) },
    responses: { 200: json(WaveSchema, 'Updated'), ...errors(...AUTHED) },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/api/v1/waves/{id}',
    tags,
    summary: 'Delete a wave (its invitations stay)',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(...AUTHED) },
  }),
};

export const waveRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    const root = await requireWaveAdmin(c);
    const rows = await c
      .get('db')
      .select({ wave: waves, touchpointKey: touchpoints.key })
      .from(waves)
      .innerJoin(touchpoints, and(eq(touchpoints.id, waves.touchpointId), eq(touchpoints.tenantId, waves.tenantId)))
      .where(eq(waves.tenantId, root.tenantId))
      .orderBy(asc(waves.createdAt), asc(waves.id));
    return c.json({ items: rows.map((r) => present(r.wave, r.touchpointKey, root.timezone)) }, 200);
  })
  .openapi(routes.create, async (c) => {
    const root = await requireWaveAdmin(c);
    const body = c.req.valid('json');
    const db = c.get('db');
    const tenantId = root.tenantId;
    const expression = validSchedule(body.schedule, root.timezone);
    const [[touchpoint], [unit]] = await db.batch([
      db
        .select({ id: touchpoints.id })
        .from(touchpoints)
        .where(and(eq(touchpoints.tenantId, tenantId), eq(touchpoints.key, body.touchpointKey))),
      db
        .select({ id: units.id })
        .from(units)
        .where(and(eq(units.tenantId, tenantId), eq(units.id, body.unitId))),
    ]);
    if (!touchpoint) throw notFound('touchpoint');
    if (!unit) throw notFound('unit');
    const now = Date.now();
    const wave: WaveRow = {
      id: newId('wave'),
      tenantId,
      touchpointId: touchpoint.id,
      name: body.name,
      schedule: expression,
      audience: body.audience,
      unitId: unit.id,
      nextRunAt: nextRunAfter(expression, root.timezone, now)!,
      lastRunAt: null,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    await commit(db, [db.insert(waves).values(wave), ...(await audit(deps(c), { action: 'wave.create', targetType: 'wave', targetId: wave.id, after: wave }))]);
    return c.json(present(wave, body.touchpointKey, root.timezone), 201);
  })
  .openapi(routes.update, async (c) => {
    const root = await requireWaveAdmin(c);
    const patch = c.req.valid('json');
    const db = c.get('db');
    const { wave, touchpointKey } = await findWave(c, c.req.valid('param').id);
    const now = Date.now();
    const scheduleChanged = patch.schedule !== undefined && patch.schedule !== wave.schedule;
    const resumed = patch.active === true && !wave.active;
    const after: WaveRow = {
      ...wave,
      name: patch.name ?? wave.name,
      schedule: patch.schedule === undefined ? wave.schedule : validSchedule(patch.schedule, root.timezone),
      active: patch.active ?? wave.active,
      updatedAt: now,
    };
    // A new schedule or a resumed wave starts from now: runs missed while paused are not caught up.
    if (scheduleChanged || resumed) after.nextRunAt = nextRunAfter(after.schedule, root.timezone, now)!;
    await commit(db, [
      db
        .update(waves)
        .set({ name: after.name, schedule: after.schedule, active: after.active, nextRunAt: after.nextRunAt, updatedAt: now })
        .where(and(eq(waves.tenantId, root.tenantId), eq(waves.id, wave.id))),
      ...(await audit(deps(c), { action: 'wave.update', targetType: 'wave', targetId: wave.id, before: wave, after, details: { changed: Object.keys(patch) } })),
    ]);
    return c.json(present(after, touchpointKey, root.timezone), 200);
  })
  .openapi(routes.delete, async (c) => {
    const root = await requireWaveAdmin(c);
    const db = c.get('db');
    const { wave } = await findWave(c, c.req.valid('param').id);
    await commit(db, [
      db.delete(waves).where(and(eq(waves.tenantId, root.tenantId), eq(waves.id, wave.id))),
      ...(await audit(deps(c), { action: 'wave.delete', targetType: 'wave', targetId: wave.id, before: wave })),
    ]);
    return c.body(null, 204);
  });
