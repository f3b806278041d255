import { asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { type MEASURE_DIRECTIONS, type MEASURE_SOURCES, measures } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { conflict, notFound } from '../lib/errors';
import { newId } from '../lib/ids';

/*
 * Operational measures beside NPS (docs/drivers.md): an event measure is the numeric attribute of
 * its key on the event that invited an answer, so it stays linked to that answer; a unit measure
 * is a daily series per unit, loaded with PUT /api/v1/measures/{key}/values.
 */

export type Measure = typeof measures.$inferSelect;
export type MeasureSource = (typeof MEASURE_SOURCES)[number];
export type MeasureDirection = (typeof MEASURE_DIRECTIONS)[number];

/** A measure key: also the event attribute's name, so a JSON path segment as it stands. */
export const MEASURE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export interface NewMeasure {
  key: string;
  name: string;
  unit: string;
  direction: MeasureDirection;
  source: MeasureSource;
}

export const presentMeasure = (m: Measure) => ({
  key: m.key,
  name: m.name,
  unit: m.unit,
  direction: m.direction,
  source: m.source,
  createdAt: new Date(m.createdAt).toISOString(),
});

/** Defines a measure (root admin); a key already defined answers 409. Audited. */
export async function createMeasure(d: Deps, body: NewMeasure) {
  await requireTenantWide(d, 'measure.manage', 'defining measures');
  const now = Date.now();
  const row = { id: newId('msr'), key: body.key, name: body.name, unit: body.unit, direction: body.direction, source: body.source, createdAt: now, updatedAt: now };
  try {
    await commit(d.t, [d.t.insert(measures).values(row), ...(await audit(d, { action: 'measure.create', targetType: 'measure', targetId: row.id, after: row }))]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a measure with key "${body.key}" exists`);
    throw err;
  }
  return presentMeasure({ ...row, tenantId: d.actor.tenantId });
}

/** The tenant's measures, by key: anyone who reads scores somewhere reads their definitions. */
export async function listMeasures(d: Deps) {
  requireAnywhere(d, 'score.read', 'reading measures');
  const rows = await d.t.select().from(measures).orderBy(asc(measures.key));
  return rows.map(presentMeasure);
}

/** One measure by key, or 404. */
export async function measureByKey(t: TenantDb, key: string): Promise<Measure> {
  const [m] = await t.select().from(measures).where(eq(measures.key, key));
  if (!m) throw notFound('measure');
  return m;
}

/** The event measures of the tenant (the predictors linked to answers), by key. */
export function eventMeasures(t: TenantDb) {
  return t.select({ key: measures.key, name: measures.name }).from(measures).where(eq(measures.source, 'event')).orderBy(asc(measures.key));
}
