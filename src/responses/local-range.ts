import { and, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { TenantDb } from '../db/tenant-db';
import { responses, units } from '../db/schema';
import { inSubtree } from '../org/units';
import { localDay } from '../scores/local-day';

const HOUR = 3_600_000;
const addDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 24 * HOUR).toISOString().slice(0, 10);

/** The first instant whose local day in `timeZone` is `day` or later: time zones sit within UTC−12..+14. */
export function dayStart(day: string, timeZone: string): number {
  let lo = Date.parse(`${day}T00:00:00Z`) - 15 * HOUR;
  let hi = lo + 30 * HOUR;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(mid, timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Units under any of `paths`: one condition on the joined `units` table. */
export const underAny = (paths: string[]): SQL => or(...paths.map(inSubtree))!;

/**
 * Answers (or the rows of another `column` of creation, joined to `units`) created on the local days [from, to] of their unit's time zone, the day the scores
 * count them on (docs/measurement.md), as exact bounds per time zone present in the subtrees:
 * the database filters and pages precisely, nothing is re-checked row by row.
 */
export async function createdOnLocalDays(t: TenantDb, paths: string[], from?: string, to?: string, column: SQLiteColumn = responses.createdAt): Promise<SQL | undefined> {
  if (!from && !to) return undefined;
  const zones = await t.selectDistinct({ tz: units.timezone }).from(units).where(underAny(paths));
  if (zones.length === 0) return undefined;
  return or(...zones.map(({ tz }) => and(eq(units.timezone, tz), from ? gte(column, dayStart(from, tz)) : undefined, to ? lt(column, dayStart(addDay(to), tz)) : undefined)));
}

/** The part of each subtree in `paths` that lies under `unitPath` (a reach clipped to one unit). */
export function clip(paths: string[], unitPath: string): string[] {
  return paths.flatMap((p) => (p.startsWith(unitPath) ? [p] : unitPath.startsWith(p) ? [unitPath] : []));
}

/** The parts common to two reaches (lists of subtree roots). */
export function intersect(a: string[], b: string[]): string[] {
  return [...new Set(b.flatMap((p) => clip(a, p)))];
}
