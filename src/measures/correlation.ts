import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { can } from '../auth/policy';
import { measureValues, responses, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { inSubtree, type Unit } from '../org/units';
import { localDay, periodOf } from '../scores/local-day';
import { scoreReport } from '../scores/report';
import { getSettings } from '../settings/settings';
import { answersWithFacts, eventFact } from './answer-facts';
import { type Measure, measureByKey } from './measures';
import { spearman } from './spearman';

/*
 * NPS against an operational measure over a unit's children (docs/drivers.md): the series of
 * both per child and period, Spearman's ρ between them at lags −3..3 with the lead or lag that
 * explains NPS best, and the efficiency quadrant.
 */

export type Period = 'week' | 'month';
/** Lags tested: the measure leading NPS by 1–3 periods (positive), lagging by 1–3 (negative), and concurrent. */
export const LAGS = [-3, -2, -1, 0, 1, 2, 3] as const;
/** Fewer pairs than this at a lag: no relation is named from it. */
export const MIN_PAIRS = 20;
/** Significance of a lag: 0.05 shared over the seven lags tested (Bonferroni). */
export const ALPHA = 0.05 / LAGS.length;
const DAY_MS = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

export interface SeriesQuery {
  unitId?: string;
  from?: string;
  to?: string;
}

interface Scope {
  unit: Unit;
  measure: Measure;
  from: string;
  to: string;
}

async function resolve(d: Deps, key: string, q: SeriesQuery, defaultDays: number): Promise<Scope> {
  const { t, actor } = d;
  const [unit] = q.unitId ? await t.select().from(units).where(eq(units.id, q.unitId)) : await t.select().from(units).where(sql`${units.parentId} is null`);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  const measure = await measureByKey(t, key);
  if (measure.source === 'account') throw new ApiError('UNPROCESSABLE', `"${key}" is an account signal: it is a series per account, not per unit (docs/accounts.md)`);
  const to = q.to ?? localDay(Date.now(), unit.timezone);
  const from = q.from ?? addDays(to, -defaultDays);
  if (from > to) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.from', message: 'must not be after `to`' }]);
  return { unit, measure, from, to };
}

/** The child of `root` a unit at `path` lies under (the root itself for its own rows). */
function childOf(root: Unit, path: string): string {
  if (path === root.path) return root.id;
  const rest = path.slice(root.path.length);
  return rest.slice(0, rest.indexOf('/'));
}

/** A period key per local day, as SQL on a YYYY-MM-DD column (the scores' rule: weeks start on Monday). */
const periodSql = (col: unknown, period: Period | undefined) =>
  period === 'month' ? sql<string>`substr(${col}, 1, 7)` : period === 'week' ? sql<string>`date(${col}, '-6 days', 'weekday 1')` : sql<string>`''`;

/** Sum and count of a measure per child of the root and period ('' without a period). */
async function measureSums(t: TenantDb, s: Scope, period: Period | undefined): Promise<Map<string, Map<string, { sum: number; n: number }>>> {
  const out = new Map<string, Map<string, { sum: number; n: number }>>();
  const add = (child: string, p: string, sum: number, n: number) => {
    let byPeriod = out.get(child);
    if (!byPeriod) out.set(child, (byPeriod = new Map()));
    const cell = byPeriod.get(p) ?? { sum: 0, n: 0 };
    cell.sum += sum;
    cell.n += n;
    byPeriod.set(p, cell);
  };
  if (s.measure.source === 'unit') {
    // Summed in SQL per unit and period: the rows leaving the database follow units × periods, not days.
    const rows = await t
      .select({ path: units.path, period: periodSql(measureValues.day, period).as('p'), sum: sql<number>`sum(${measureValues.value})`, n: sql<number>`count(*)` })
      .from(measureValues)
      .innerJoin(units, eq(units.id, measureValues.unitId))
      .where(and(eq(measureValues.measureId, s.measure.id), inSubtree(s.unit.path), gte(measureValues.day, s.from), lte(measureValues.day, s.to)))
      .groupBy(units.path, sql`p`);
    for (const r of rows) add(childOf(s.unit, r.path), r.period, Number(r.sum), Number(r.n));
    return out;
  }
  // An event measure: its mean over the answers whose events carry it, by the answer's local day.
  const { query } = await answersWithFacts(
    t,
    { path: s.unit.path, from: s.from, to: s.to },
    { path: sql`${units.path}`, tz: sql`${units.timezone}`, at: sql`${responses.createdAt}`, value: eventFact(s.measure.key) },
  );
  const rows = (await query) as { path: string; tz: string; at: number; value: number | null }[];
  for (const r of rows) {
    if (r.value === null) continue;
    add(childOf(s.unit, r.path), period ? periodOf(localDay(r.at, r.tz), period) : '', Number(r.value), 1);
  }
  return out;
}

/** A measure's mean over a unit's whole subtree and the local days [from, to]; null without values. */
export async function subtreeMean(t: TenantDb, unit: Unit, measure: Measure, from: string, to: string): Promise<number | null> {
  const sums = await measureSums(t, { unit, measure, from, to }, undefined);
  let sum = 0;
  let n = 0;
  for (const byPeriod of sums.values())
    for (const c of byPeriod.values()) {
      sum += c.sum;
      n += c.n;
    }
  return n === 0 ? null : sum / n;
}

export interface SeriesPoint {
  unitId: string;
  period: string;
  nps: number | null;
  n: number;
  measure: number | null;
}

/** NPS (suppressed under the tenant's minimum n) and the measure's mean per child and period. */
async function series(d: Deps, s: Scope, period: Period): Promise<SeriesPoint[]> {
  const [scores, sums] = await Promise.all([scoreReport(d, { unitId: s.unit.id, from: s.from, to: s.to, period, groupBy: 'unit', weight: 'none', confidence: 0.95 }), measureSums(d.t, s, period)]);
  const points = new Map<string, SeriesPoint>();
  const at = (unitId: string, p: string) => {
    const id = `${unitId}|${p}`;
    let point = points.get(id);
    if (!point) points.set(id, (point = { unitId, period: p, nps: null, n: 0, measure: null }));
    return point;
  };
  for (const item of scores) {
    if (item.key === 'all') continue;
    const point = at(item.key, item.period!);
    point.nps = item.nps;
    point.n = item.n;
  }
  for (const [child, byPeriod] of sums) for (const [p, c] of byPeriod) at(child, p).measure = c.sum / c.n;
  return [...points.values()].sort((a, b) => a.unitId.localeCompare(b.unitId) || a.period.localeCompare(b.period));
}

/** Every period key of a range, in order. */
export function periodsOf(from: string, to: string, period: Period): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const p = periodOf(d, period);
    if (out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

export interface LagResult {
  lag: number;
  rho: number | null;
  p: number | null;
  pairs: number;
}

/**
 * Spearman's ρ between NPS in period i and the measure in period i − lag, over every child with
 * both: a positive lag is the measure leading NPS, a negative one the measure following it. The
 * relation is named by the lag with the largest |ρ| among those significant at ALPHA with at
 * least MIN_PAIRS pairs: leading, lagging or concurrent; none without one.
 */
export function lagProfile(points: SeriesPoint[], periods: string[]) {
  const index = new Map(periods.map((p, i) => [p, i]));
  const byUnit = new Map<string, Map<number, SeriesPoint>>();
  for (const pt of points) {
    const i = index.get(pt.period);
    if (i === undefined) continue;
    let m = byUnit.get(pt.unitId);
    if (!m) byUnit.set(pt.unitId, (m = new Map()));
    m.set(i, pt);
  }
  const lags: LagResult[] = LAGS.map((lag) => {
    const nps: number[] = [];
    const measure: number[] = [];
    for (const m of byUnit.values()) {
      for (const [i, pt] of m) {
        const earlier = m.get(i - lag);
        if (pt.nps === null || earlier?.measure === null || earlier?.measure === undefined) continue;
        nps.push(pt.nps);
        measure.push(earlier.measure);
      }
    }
    const r = spearman(measure, nps);
    return { lag, rho: r?.rho ?? null, p: r?.p ?? null, pairs: nps.length };
  });
  const best = lags.filter((l) => l.rho !== null && l.p !== null && l.pairs >= MIN_PAIRS && l.p < ALPHA).sort((a, b) => Math.abs(b.rho!) - Math.abs(a.rho!))[0];
  const relation = !best ? null : best.lag > 0 ? ('leading' as const) : best.lag < 0 ? ('lagging' as const) : ('concurrent' as const);
  return { lags, relation, relationLag: best?.lag ?? null };
}

/** GET /api/v1/measures/{key}/correlation. */
export async function kpiCorrelation(d: Deps, key: string, q: SeriesQuery & { period: Period }) {
  const s = await resolve(d, key, q, 364);
  const points = await series(d, s, q.period);
  const { lags, relation, relationLag } = lagProfile(points, periodsOf(s.from, s.to, q.period));
  const concurrent = lags.find((l) => l.lag === 0)!;
  return {
    measure: s.measure.key,
    unitId: s.unit.id,
    from: s.from,
    to: s.to,
    period: q.period,
    rho: concurrent.rho,
    p: concurrent.p,
    pairs: concurrent.pairs,
    lags: lags.filter((l) => l.lag !== 0).map(({ lag, rho, p }) => ({ lag, rho, p })),
    relation,
    lag: relationLag,
  };
}

/** GET /api/v1/measures/{key}/series: both series per child and period, for charts. */
export async function measureSeries(d: Deps, key: string, q: SeriesQuery & { period: Period }) {
  const s = await resolve(d, key, q, 364);
  return { measure: s.measure.key, unitId: s.unit.id, from: s.from, to: s.to, period: q.period, items: await series(d, s, q.period) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? null : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export type Quadrant = 'high_nps_efficient' | 'high_nps_inefficient' | 'low_nps_efficient' | 'low_nps_inefficient';

/**
 * GET /api/v1/measures/{key}/quadrant: each child with its NPS (interval, n) and the measure's
 * mean over the range, placed against the medians of the children that have both: NPS at or
 * above the median is high; the measure at or on the better side of its median is efficient
 * (direction decides which side is better). Children with a suppressed NPS or no measure are
 * listed without a quadrant.
 */
export async function efficiencyQuadrant(d: Deps, key: string, q: SeriesQuery) {
  const s = await resolve(d, key, q, 89);
  const [scores, sums, settings, children] = await Promise.all([
    scoreReport(d, { unitId: s.unit.id, from: s.from, to: s.to, groupBy: 'unit', weight: 'none', confidence: 0.95 }),
    measureSums(d.t, s, undefined),
    getSettings(d.t),
    d.t.select({ id: units.id, name: units.name }).from(units).where(sql`${units.parentId} = ${s.unit.id} or ${units.id} = ${s.unit.id}`),
  ]);
  const names = new Map(children.map((c) => [c.id, c.name]));
  const byUnit = new Map(scores.filter((i) => i.key !== 'all').map((i) => [i.key, i]));
  const ids = [...new Set([...byUnit.keys(), ...sums.keys()])].filter((id) => names.has(id));
  const rows = ids.map((id) => {
    const sc = byUnit.get(id);
    const m = sums.get(id)?.get('');
    return { unitId: id, name: names.get(id)!, nps: sc?.nps ?? null, ci: sc?.ci ?? null, n: sc?.n ?? 0, suppressed: sc?.suppressed ?? true, measure: m ? m.sum / m.n : null };
  });
  const placed = rows.filter((r) => r.nps !== null && r.measure !== null);
  const npsMedian = median(placed.map((r) => r.nps!));
  const measureMedian = median(placed.map((r) => r.measure!));
  const better = s.measure.direction === 'higher_is_better' ? (x: number) => x >= measureMedian! : (x: number) => x <= measureMedian!;
  const items = rows
    .map((r) => {
      const quadrant: Quadrant | null =
        r.nps === null || r.measure === null || npsMedian === null ? null : (`${r.nps >= npsMedian ? 'high' : 'low'}_nps_${better(r.measure) ? 'efficient' : 'inefficient'}` as Quadrant);
      return { ...r, quadrant };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { measure: s.measure.key, direction: s.measure.direction, unitId: s.unit.id, from: s.from, to: s.to, minN: settings.minResponses, medians: { nps: npsMedian, measure: measureMedian }, items };
}
