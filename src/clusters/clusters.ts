import { and, asc, eq, gte, isNotNull, lt, or } from 'drizzle-orm';
import { can } from '../auth/policy';
import { actionPlans, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { forbidden } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { inSubtree, type Unit } from '../org/units';
import { localDay } from '../scores/local-day';
import { gather, type Grouped, weighTally } from '../scores/query';
import { scoreReport } from '../scores/report';
import { addTallies, emptyTally, score, type Tally } from '../scoring/nps';
import { npsTrend } from '../scoring/trend';
import { getSettings } from '../settings/settings';
import { cluster } from './kmeans';
import { siteMeasures } from './site-measures';
import { siteThemes } from './site-themes';

/*
 * Peer clusters (docs/targets.md "Peer clusters"): the sites under a unit grouped by their NPS
 * pattern over a range, k chosen by silhouette, each cluster described in words, each site's
 * percentile within its cluster, and the action plans that worked at its peers.
 */

const DAY_MS = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const MAX_SITES = 1000;
const MAX_PLANS = 50;
const CONCURRENCY = 4;

export interface SitePattern {
  /** NPS over the range. */
  level: number;
  /** NPS points per month: the weighted trend over the months with answers (docs/scoring.md §11). */
  trend: number;
  /** Standard deviation of the monthly NPS over the months at or above the anonymity threshold. */
  volatility: number;
  /** Detractors per 100 answers. */
  detractorShare: number;
}
const FEATURES = ['level', 'trend', 'volatility', 'detractorShare'] as const;

/** The pattern of one site from its monthly tallies, or why it has none. */
function patternOf(months: [string, Tally][], opts: { minN: number; reliableN: number }): { pattern: SitePattern; n: number } | { reason: 'too_few_answers'; n: number } {
  const total = months.reduce((s, [, t]) => addTallies(s, t), emptyTally());
  const whole = score(total, opts);
  if (whole.suppressed || whole.lowSample) return { reason: 'too_few_answers', n: whole.n };
  const shown = months.map(([, t]) => score(t, opts)).filter((s) => !s.suppressed);
  const mean = shown.reduce((s, m) => s + m.nps!, 0) / (shown.length || 1);
  const volatility = shown.length >= 2 ? Math.sqrt(shown.reduce((s, m) => s + (m.nps! - mean) ** 2, 0) / (shown.length - 1)) : 0;
  const trend = npsTrend(months.map(([, tally], x) => ({ x, tally })))?.slope ?? 0;
  return { pattern: { level: whole.nps!, trend, volatility, detractorShare: (100 * whole.detractors) / whole.n }, n: whole.n };
}

/** Every month key (YYYY-MM) from `from` to `to`. */
function monthsOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from.slice(0, 7); m <= to.slice(0, 7); ) {
    out.push(m);
    const [y, mm] = m.split('-').map(Number) as [number, number];
    m = mm === 12 ? `${y + 1}-01` : `${y}-${String(mm + 1).padStart(2, '0')}`;
  }
  return out;
}

/**
 * Words for a cluster from where its mean sits among all sites (z-scores) and, for the trend,
 * its sign: "declining and volatile, low-scoring, with many detractors".
 */
function describe(z: SitePattern, raw: SitePattern, theme?: string, measure?: string): string {
  const motion = [
    z.trend <= -0.5 && raw.trend < -1 ? 'declining' : z.trend >= 0.5 && raw.trend > 1 ? 'improving' : 'steady',
    z.volatility >= 0.5 ? 'volatile' : z.volatility <= -0.5 ? 'consistent' : null,
  ].filter(Boolean);
  const level = z.level >= 0.5 ? 'high-scoring' : z.level <= -0.5 ? 'low-scoring' : 'mid-level';
  const detractors = z.detractorShare >= 0.5 ? 'with many detractors' : z.detractorShare <= -0.5 ? 'with few detractors' : null;
  return [motion.join(' and '), level, detractors, theme ? `detractors often mention ${theme}` : null, measure ? `${measure} worse than at most sites` : null].filter(Boolean).join(', ');
}

/** Mid-rank percentile of `value` among `values` (itself included): 100·(below + ½·equal)/n. */
export const percentile = (value: number, values: number[]) => (100 * (values.filter((v) => v < value).length + 0.5 * values.filter((v) => v === value).length)) / values.length;

export interface ClustersQuery {
  unitId?: string;
  from?: string;
  to?: string;
}

/** The sites under a unit clustered by their NPS pattern; score readers of the unit. */
export async function peerClusters(d: Deps, q: ClustersQuery) {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores');
  const to = q.to ?? localDay(Date.now(), unit.timezone);
  const from = q.from ?? addDays(to, -179);
  const [sites, settings] = await Promise.all([
    t
      .select()
      .from(units)
      .where(and(inSubtree(unit.path), eq(units.kind, 'site')))
      .orderBy(asc(units.id))
      .limit(MAX_SITES),
    getSettings(t),
  ]);
  const opts = { minN: settings.minResponses, reliableN: settings.reliabilityThreshold };

  // Each site's months, from one scores query per parent of sites (grouped by child unit, by month).
  const parents = [...new Set(sites.map((s) => s.path.slice(0, s.path.slice(0, -1).lastIndexOf('/') + 1)))];
  const byParent = new Map<string, Grouped>();
  for (let i = 0; i < parents.length; i += CONCURRENCY) {
    await Promise.all(
      parents.slice(i, i + CONCURRENCY).map(async (path) => {
        const id = path.split('/').filter(Boolean).at(-1)!;
        byParent.set(path, await gather(t, { root: { id, path }, from, to, period: 'month', groupBy: 'unit', weight: 'none' }));
      }),
    );
  }
  const months = monthsOf(from, to);
  const clusterable: { site: Unit; pattern: SitePattern; n: number }[] = [];
  const unclustered: { unitId: string; name: string; n: number; reason: 'too_few_answers' | 'too_few_sites' }[] = [];
  for (const site of sites) {
    const grouped = byParent.get(site.path.slice(0, site.path.slice(0, -1).lastIndexOf('/') + 1))?.get(site.id);
    const monthly = months.map((m) => [m, grouped?.get(m) ? weighTally(grouped.get(m)!, 'none') : emptyTally()] as [string, Tally]);
    const p = patternOf(monthly, opts);
    if ('reason' in p) unclustered.push({ unitId: site.id, name: site.name, n: p.n, reason: p.reason });
    else clusterable.push({ site, ...p });
  }

  // Further features: what the site's detractors talk about (the top themes) and how it works
  // (its operational measures' means); a site without a value sits at the mean of the others.
  const ids = clusterable.map((c) => c.site.id);
  const [found, operated] =
    clusterable.length >= 3
      ? await Promise.all([siteThemes(t, unit.path, from, to, ids), siteMeasures(t, unit.path, from, to, ids)])
      : [
          { themes: [], shares: new Map<string, (number | null)[]>() },
          { measures: [], means: new Map<string, (number | null)[]>() },
        ];
  const withMean = <T>(items: T[], values: Map<string, (number | null)[]>) =>
    items
      .map((item, j) => {
        const known = ids.map((id) => values.get(id)?.[j]).filter((v): v is number => v != null);
        return { ...item, j, mean: known.length ? known.reduce((a, b) => a + b, 0) / known.length : null };
      })
      .filter((c): c is typeof c & { mean: number } => c.mean !== null);
  const themeCols = withMean(found.themes, found.shares);
  const measureCols = withMean(operated.measures, operated.means);
  const themeShares = (siteId: string) => themeCols.map((c) => ({ id: c.id, detractorShare: found.shares.get(siteId)?.[c.j] ?? null }));
  const measureMeans = (siteId: string) => measureCols.map((c) => ({ key: c.key, mean: operated.means.get(siteId)?.[c.j] ?? null }));
  const points = clusterable.map((c) => [
    ...FEATURES.map((f) => c.pattern[f]),
    ...themeCols.map((col) => found.shares.get(c.site.id)?.[col.j] ?? col.mean),
    ...measureCols.map((col) => operated.means.get(c.site.id)?.[col.j] ?? col.mean),
  ]);
  const themes = themeCols.map(({ id, name }) => ({ id, name }));
  const measures = measureCols.map(({ key, name, unit, direction }) => ({ key, name, unit, direction }));
  const result = cluster(points);
  if (!result) {
    for (const c of clusterable) unclustered.push({ unitId: c.site.id, name: c.site.name, n: c.n, reason: 'too_few_sites' });
    return { unitId: unit.id, from, to, k: null, silhouette: null, candidates: [], themes, measures, clusters: [], unclustered };
  }

  // Standardised means per cluster for the words; clusters numbered by level, highest first.
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  const stats = FEATURES.map((f, j) => ({ f, mean: mean(points.map((p) => p[j]!)), sd: sd(points.map((p) => p[j]!)) }));
  const columnStats = (offset: number) => {
    const col = points.map((p) => p[offset]!);
    return { mean: mean(col), sd: sd(col) };
  };
  const themeStats = themeCols.map((_, c) => columnStats(FEATURES.length + c));
  const measureOffset = FEATURES.length + themeCols.length;
  const measureStats = measureCols.map((_, c) => columnStats(measureOffset + c));
  const rowOf = new Map(clusterable.map((c, i) => [c.site.id, points[i]!]));
  const groups = [...new Set(result.assignment)].map((label) => clusterable.filter((_, i) => result.assignment[i] === label));
  const centreOf = (members: typeof clusterable) => Object.fromEntries(FEATURES.map((f) => [f, mean(members.map((m) => m.pattern[f]))])) as unknown as SitePattern;
  groups.sort((a, b) => centreOf(b).level - centreOf(a).level || a[0]!.site.id.localeCompare(b[0]!.site.id));

  const readsPlans = can(actor, 'plan.read', unit.path);
  const clusters = [];
  for (const [index, members] of groups.entries()) {
    const centre = centreOf(members);
    const z = Object.fromEntries(stats.map((s) => [s.f, s.sd > 1e-12 ? (centre[s.f] - s.mean) / s.sd : 0])) as unknown as SitePattern;
    const levels = members.map((m) => m.pattern.level);
    // Each theme's mean share over the members (a site without a value at the sites' mean), its z among all sites.
    const themeCentre = themeCols.map((col, c) => {
      const value = mean(members.map((m) => rowOf.get(m.site.id)![FEATURES.length + c]!));
      const st = themeStats[c]!;
      return { id: col.id, name: col.name, detractorShare: value, z: st.sd > 1e-12 ? (value - st.mean) / st.sd : 0 };
    });
    const named = themeCentre.filter((c) => c.z >= 0.5 && c.detractorShare > 0).sort((a, b) => b.z - a.z || a.id.localeCompare(b.id))[0];
    // Each measure's mean over the members, and how much worse than all sites it is (z in the measure's bad direction).
    const measureCentre = measureCols.map((col, c) => {
      const value = mean(members.map((m) => rowOf.get(m.site.id)![measureOffset + c]!));
      const st = measureStats[c]!;
      const z = st.sd > 1e-12 ? (value - st.mean) / st.sd : 0;
      return { key: col.key, name: col.name, mean: value, worse: col.direction === 'lower_is_better' ? z : -z };
    });
    const worst = measureCentre.filter((c) => c.worse >= 0.5).sort((a, b) => b.worse - a.worse || a.key.localeCompare(b.key))[0];
    clusters.push({
      id: index + 1,
      description: describe(z, centre, named?.name, worst?.name),
      size: members.length,
      centre: { ...centre, themes: themeCentre.map(({ id, detractorShare }) => ({ id, detractorShare })), measures: measureCentre.map(({ key, mean }) => ({ key, mean })) },
      sites: members.map((m) => ({
        unitId: m.site.id,
        name: m.site.name,
        n: m.n,
        ...m.pattern,
        themes: themeShares(m.site.id),
        measures: measureMeans(m.site.id),
        percentile: percentile(m.pattern.level, levels),
      })),
      whatWorked: readsPlans
        ? await whatWorked(
            d,
            members.map((m) => m.site),
          )
        : null,
    });
  }
  return { unitId: unit.id, from, to, k: groups.length, silhouette: result.silhouette, candidates: result.candidates, themes, measures, clusters, unclustered };
}

/**
 * Action plans at the cluster's sites (on a site or below it) whose after window scored
 * significantly higher than their before window (the two-sample test, p < 0.05, scores not
 * suppressed): what worked at these peers.
 */
async function whatWorked(d: Pick<Deps, 't' | 'actor'>, sites: Unit[]) {
  const plans = await d.t
    .select({ plan: actionPlans, unitName: units.name, unitPath: units.path })
    .from(actionPlans)
    .innerJoin(units, eq(units.id, actionPlans.unitId))
    .where(and(or(...sites.map((s) => and(gte(units.path, s.path), lt(units.path, `${s.path.slice(0, -1)}0`)))), isNotNull(actionPlans.beforeFrom), isNotNull(actionPlans.afterFrom)))
    .orderBy(asc(actionPlans.id))
    .limit(MAX_PLANS);
  const out = [];
  for (const { plan, unitName, unitPath } of plans) {
    if (!can(d.actor, 'plan.read', unitPath)) continue;
    const query = { unitId: plan.unitId, weight: 'none' as const, confidence: 0.95 };
    const [[after], [before]] = await Promise.all([
      scoreReport(d, { ...query, from: plan.afterFrom!, to: plan.afterTo!, compare: `${plan.beforeFrom}..${plan.beforeTo}` }),
      scoreReport(d, { ...query, from: plan.beforeFrom!, to: plan.beforeTo! }),
    ]);
    if (!after?.delta || after.delta.points <= 0 || after.delta.p >= 0.05) continue;
    out.push({
      planId: plan.id,
      unitId: plan.unitId,
      unitName,
      title: plan.title,
      theme: plan.theme,
      status: plan.status,
      before: { from: plan.beforeFrom!, to: plan.beforeTo!, nps: before!.nps!, n: before!.n },
      after: { from: plan.afterFrom!, to: plan.afterTo!, nps: after.nps!, n: after.n },
      change: after.delta,
    });
  }
  return out;
}
