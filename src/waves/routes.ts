import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { Audience, createWave, deleteWave, listWaves, updateWave, type WaveView } from './waves';

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

const iso = (ms: number) => new Date(ms).toISOString();
const present = ({ wave: w, touchpointKey, timezone }: WaveView) => ({
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
  .openapi(routes.list, async (c) => c.json({ items: (await listWaves(deps(c))).map(present) }, 200))
  .openapi(routes.create, async (c) => c.json(present(await createWave(deps(c), c.req.valid('json'))), 201))
  .openapi(routes.update, async (c) => c.json(present(await updateWave(deps(c), c.req.valid('param').id, c.req.valid('json'))), 200))
  .openapi(routes.delete, async (c) => {
    await deleteWave(deps(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
