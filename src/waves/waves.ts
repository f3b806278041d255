import { z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { touchpoints, units, waves } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { nextRunAfter, scheduleError } from './schedule';

/** Who a wave invites (read by the API and by the wave run). */
export const Audience = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('accounts') }).openapi({ description: 'Every contact with an accountId: each stakeholder of each B2B account' }),
    z.strictObject({ kind: z.literal('segment'), segment: z.string().trim().min(1).max(100) }).openapi({ description: 'Every contact of the segment' }),
  ])
  .openapi('WaveAudience');
export type Audience = z.infer<typeof Audience>;

export type WaveRow = typeof waves.$inferSelect;

/** A wave as the API shows it: with its touchpoint's key and the time zone its schedule is read in. */
export interface WaveView {
  wave: WaveRow;
  touchpointKey: string;
  timezone: string;
}

export interface NewWave {
  touchpointKey: string;
  name: string;
  schedule: string;
  audience: Audience;
  unitId: string;
}

export interface WavePatch {
  name?: string;
  schedule?: string;
  active?: boolean;
}

/** Managing waves needs the admin role on the root; returns the root (its time zone reads the schedules). */
const requireWaveAdmin = (d: Deps) => requireTenantWide(d, 'wave.manage', 'managing waves');

function validSchedule(expression: string, timezone: string) {
  const problem = scheduleError(expression, timezone);
  if (problem) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'body.schedule', message: problem }]);
  return expression;
}

async function findWave(t: TenantDb, id: string) {
  const [row] = await t.select({ wave: waves, touchpointKey: touchpoints.key }).from(waves).innerJoin(touchpoints, eq(touchpoints.id, waves.touchpointId)).where(eq(waves.id, id));
  if (!row) throw notFound('wave');
  return row;
}

/** The tenant's waves, oldest first. */
export async function listWaves(d: Deps): Promise<WaveView[]> {
  const root = await requireWaveAdmin(d);
  const rows = await d.t
    .select({ wave: waves, touchpointKey: touchpoints.key })
    .from(waves)
    .innerJoin(touchpoints, eq(touchpoints.id, waves.touchpointId))
    .orderBy(asc(waves.createdAt), asc(waves.id));
  return rows.map((r) => ({ ...r, timezone: root.timezone }));
}

/** Schedules a wave of a touchpoint of the tenant, attributed to one of its units; the first run is the schedule's next time. */
export async function createWave(d: Deps, body: NewWave): Promise<WaveView> {
  const root = await requireWaveAdmin(d);
  const { t } = d;
  const expression = validSchedule(body.schedule, root.timezone);
  const [[touchpoint], [unit]] = await t.batch([
    t.select({ id: touchpoints.id }).from(touchpoints).where(eq(touchpoints.key, body.touchpointKey)),
    t.select({ id: units.id }).from(units).where(eq(units.id, body.unitId)),
  ]);
  if (!touchpoint) throw notFound('touchpoint');
  if (!unit) throw notFound('unit');
  const now = Date.now();
  const wave: WaveRow = {
    id: newId('wave'),
    tenantId: root.tenantId,
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
  await commit(t, [t.insert(waves).values(wave), ...(await audit(d, { action: 'wave.create', targetType: 'wave', targetId: wave.id, after: wave }))]);
  return { wave, touchpointKey: body.touchpointKey, timezone: root.timezone };
}

/** Renames, reschedules, pauses or resumes a wave; a new schedule, or resuming, sets the next run from now. */
export async function updateWave(d: Deps, id: string, patch: WavePatch): Promise<WaveView> {
  const root = await requireWaveAdmin(d);
  const { t } = d;
  const { wave, touchpointKey } = await findWave(t, id);
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
  await commit(t, [
    t.update(waves).set({ name: after.name, schedule: after.schedule, active: after.active, nextRunAt: after.nextRunAt, updatedAt: now }).where(eq(waves.id, wave.id)),
    ...(await audit(d, { action: 'wave.update', targetType: 'wave', targetId: wave.id, before: wave, after, details: { changed: Object.keys(patch) } })),
  ]);
  return { wave: after, touchpointKey, timezone: root.timezone };
}

/** Deletes a wave; its invitations stay. */
export async function deleteWave(d: Deps, id: string): Promise<void> {
  await requireWaveAdmin(d);
  const { t } = d;
  const { wave } = await findWave(t, id);
  await commit(t, [t.delete(waves).where(eq(waves.id, wave.id)), ...(await audit(d, { action: 'wave.delete', targetType: 'wave', targetId: wave.id, before: wave }))]);
}
