import { asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { surveys, touchpoints, type Channel } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { conflict, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { TouchpointRules } from './rules';

export type TouchpointRow = typeof touchpoints.$inferSelect;

/** What a touchpoint is made of, but its key (fixed at creation). */
interface TouchpointFields {
  name: string;
  kind: string;
  surveyId: string;
  channels: Channel[];
  delayMinutes: number;
  reminderAfterDays: number | null;
  rules: TouchpointRules;
  active: boolean;
}

export type NewTouchpoint = Omit<TouchpointFields, 'reminderAfterDays'> & { key: string; reminderAfterDays?: number | null };
export type TouchpointPatch = Partial<TouchpointFields>;

async function assertSurvey(t: TenantDb, surveyId: string) {
  const [row] = await t.select({ id: surveys.id }).from(surveys).where(eq(surveys.id, surveyId));
  if (!row) throw notFound('survey');
}

async function findTouchpoint(t: TenantDb, id: string) {
  const row = await t.select().from(touchpoints).where(eq(touchpoints.id, id)).limit(1).get();
  if (!row) throw notFound('touchpoint');
  return row;
}

/** The tenant's touchpoints, by key. */
export function listTouchpoints(d: Deps): Promise<TouchpointRow[]> {
  requireAnywhere(d, 'program.read', 'reading touchpoints');
  return d.t.select().from(touchpoints).orderBy(asc(touchpoints.key));
}

export function getTouchpoint(d: Deps, id: string): Promise<TouchpointRow> {
  requireAnywhere(d, 'program.read', 'reading touchpoints');
  return findTouchpoint(d.t, id);
}

/** Creates a touchpoint of one of the tenant's surveys; its key is unique in the tenant (409). */
export async function createTouchpoint(d: Deps, body: NewTouchpoint): Promise<TouchpointRow> {
  await requireTenantWide(d, 'program.write', 'designing touchpoints');
  const { t } = d;
  await assertSurvey(t, body.surveyId);
  const now = Date.now();
  const row: TouchpointRow = {
    id: newId('tp'),
    tenantId: d.actor.tenantId,
    key: body.key,
    name: body.name,
    kind: body.kind,
    surveyId: body.surveyId,
    channels: body.channels,
    delayMinutes: body.delayMinutes,
    reminderAfterDays: body.reminderAfterDays ?? null,
    rules: body.rules,
    active: body.active,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await commit(t, [t.insert(touchpoints).values(row), ...(await audit(d, { action: 'touchpoint.create', targetType: 'touchpoint', targetId: row.id, after: row }))]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a touchpoint with key "${body.key}" already exists`);
    throw err;
  }
  return row;
}

/** Changes a touchpoint (its key is fixed); a new survey must be the tenant's. */
export async function updateTouchpoint(d: Deps, id: string, patch: TouchpointPatch): Promise<TouchpointRow> {
  await requireTenantWide(d, 'program.write', 'designing touchpoints');
  const { t } = d;
  const row = await findTouchpoint(t, id);
  if (patch.surveyId !== undefined) await assertSurvey(t, patch.surveyId);
  const { reminderAfterDays, ...rest } = patch;
  const after: TouchpointRow = { ...row, ...rest, ...(reminderAfterDays !== undefined ? { reminderAfterDays } : {}), updatedAt: Date.now() };
  await commit(t, [
    t
      .update(touchpoints)
      .set({
        name: after.name,
        kind: after.kind,
        surveyId: after.surveyId,
        channels: after.channels,
        delayMinutes: after.delayMinutes,
        reminderAfterDays: after.reminderAfterDays,
        rules: after.rules,
        active: after.active,
        updatedAt: after.updatedAt,
      })
      .where(eq(touchpoints.id, row.id)),
    ...(await audit(d, { action: 'touchpoint.update', targetType: 'touchpoint', targetId: row.id, before: row, after, details: { changed: Object.keys(patch) } })),
  ]);
  return after;
}
