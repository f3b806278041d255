import { and, asc, between, eq, inArray, sql } from 'drizzle-orm';
import { measures, measureValues, responses, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { answersWithFacts, eventFact } from '../measures/answer-facts';
import type { MeasureDirection } from '../measures/measures';
import { inSubtree } from '../org/units';
import { siteOf } from './site-themes';

/*
 * Operational measures as features of the peer clusters (docs/targets.md "Peer clusters"): how a
 * site works is part of its pattern, as in key drivers (docs/drivers.md). Each site's mean of
 * every measure over the range: an event measure over its answers whose inviting event carries
 * it, a unit measure over its daily values (a site's subtree counts as the site). A site with too
 * few values has none (the clustering puts it at the sites' mean on that feature).
 */

/** At most this many measures become features (the tenant's first by key). */
export const MAX_MEASURES = 4;
/** A site's mean counts from this many values on: answers with the fact, or days with a value. */
export const MIN_SITE_VALUES = 10;

export interface MeasureFeature {
  key: string;
  name: string;
  unit: string;
  direction: MeasureDirection;
}

export interface SiteMeasures {
  measures: MeasureFeature[];
  /** Per site id: per measure of `measures`, the site's mean, or null (too few values). */
  means: Map<string, (number | null)[]>;
}

export async function siteMeasures(t: TenantDb, path: string, from: string, to: string, siteIds: string[]): Promise<SiteMeasures> {
  const declared = await t
    .select({ id: measures.id, key: measures.key, name: measures.name, unit: measures.unit, direction: measures.direction, source: measures.source })
    .from(measures)
    .orderBy(asc(measures.key))
    .limit(MAX_MEASURES);
  if (declared.length === 0) return { measures: [], means: new Map() };
  const events = declared.filter((m) => m.source === 'event');
  const series = declared.filter((m) => m.source === 'unit');

  // Sums and counts per unit: event facts over the answers, unit series over their days.
  const perUnit: { unit: string; key: string; sum: number; n: number }[] = [];
  if (events.length > 0) {
    const fields: Record<string, ReturnType<typeof sql>> = { unit: sql`${responses.unitId}` };
    events.forEach((m, i) => {
      fields[`s${i}`] = sql`total(${eventFact(m.key)})`;
      fields[`n${i}`] = sql`count(${eventFact(m.key)})`;
    });
    const { query } = await answersWithFacts(t, { path, from, to }, fields);
    for (const row of (await query.groupBy(responses.unitId)) as Record<string, unknown>[])
      for (const [i, m] of events.entries()) perUnit.push({ unit: String(row.unit), key: m.key, sum: Number(row[`s${i}`]), n: Number(row[`n${i}`]) });
  }
  if (series.length > 0) {
    const rows = await t
      .select({ unit: measureValues.unitId, measure: measureValues.measureId, sum: sql<number>`total(${measureValues.value})`, n: sql<number>`count(*)` })
      .from(measureValues)
      .innerJoin(units, eq(units.id, measureValues.unitId))
      .where(
        and(
          inArray(
            measureValues.measureId,
            series.map((m) => m.id),
          ),
          inSubtree(path),
          between(measureValues.day, from, to),
        ),
      )
      .groupBy(measureValues.unitId, measureValues.measureId);
    const keyOf = new Map(series.map((m) => [m.id, m.key]));
    for (const r of rows) perUnit.push({ unit: r.unit, key: keyOf.get(r.measure)!, sum: Number(r.sum), n: Number(r.n) });
  }

  const subtree = await t.select({ id: units.id, path: units.path }).from(units).where(inSubtree(path));
  const sites = new Set(siteIds);
  const site = new Map(subtree.map((u) => [u.id, siteOf(u.path, sites)]));
  const totals = new Map<string, { sum: number; n: number }>();
  for (const r of perUnit) {
    const s = site.get(r.unit);
    if (!s || r.n === 0) continue;
    const k = `${s}|${r.key}`;
    const acc = totals.get(k) ?? { sum: 0, n: 0 };
    acc.sum += r.sum;
    acc.n += r.n;
    totals.set(k, acc);
  }
  const means = new Map<string, (number | null)[]>();
  for (const id of siteIds)
    means.set(
      id,
      declared.map((m) => {
        const acc = totals.get(`${id}|${m.key}`);
        return acc && acc.n >= MIN_SITE_VALUES ? acc.sum / acc.n : null;
      }),
    );
  return { measures: declared.map(({ key, name, unit, direction }) => ({ key, name, unit, direction })), means };
}
