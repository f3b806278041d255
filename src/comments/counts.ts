import { sql, type SQL } from 'drizzle-orm';
import { commentAnalyses as ca, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Category } from '../scoring/nps';
import { inSubtree } from '../org/units';
import { dayStart } from '../responses/local-range';

const DAY_MS = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/**
 * Theme counts from stored tags (docs/themes.md "Query"): the analyses of counted, scored
 * answers of a subtree created in [start, end), through the index on (tenant, kind, created_at);
 * comments are never read or analysed here. One scan serves two adjacent periods: the current
 * one [split, end) and the one before it [start, split).
 */

export interface ThemeCount {
  theme: string;
  /** Mentions in the current period, by category, with the summed sentiment of those that have one. */
  comments: number;
  promoters: number;
  passives: number;
  detractors: number;
  sentimentSum: number;
  sentimentN: number;
  /** Mentions in the period before. */
  previous: number;
}

export interface Totals {
  /** Analysed comments of counted, scored answers: current period and the one before. */
  comments: number;
  previous: number;
}

export const categorySql = (c: Category): SQL => (c === 'promoter' ? sql`${ca.score} >= 9` : c === 'passive' ? sql`${ca.score} between 7 and 8` : sql`${ca.score} <= 6`);

export interface CountScope {
  /** Subtree root path. */
  path: string;
  /** Epoch ms: the period before starts at `start`, the current at `split`, both end before `end`. */
  start: number;
  split: number;
  end: number;
  category?: Category;
  /** Exact local-day bounds per time zone of the subtree; start/split/end above are their outer bounds. */
  zones?: { tz: string; start: number; split: number; end: number }[];
}

/** Units of the subtree (of one time zone): a set the scan probes per row, no join. */
const subtreeUnits = (t: TenantDb, path: string, tz?: string) =>
  sql`(select ${units.id} from ${units} where ${t.owns(units)} and ${units.path} >= ${path} and ${units.path} < ${`${path.slice(0, -1)}0`}${tz === undefined ? sql`` : sql` and ${units.timezone} = ${tz}`})`;

/** Analyses of counted, scored answers of the subtree in the scope's range (both periods). */
export function inScope(t: TenantDb, s: CountScope): SQL {
  // One time zone (the common case): one range. Several: each zone's units with their own local-day bounds.
  const zones = s.zones && s.zones.length > 1 ? s.zones : null;
  const where = zones
    ? sql.join(
        zones.map((z) => sql`(${ca.unitId} in ${subtreeUnits(t, s.path, z.tz)} and ${ca.createdAt} >= ${z.start} and ${ca.createdAt} < ${z.end})`),
        sql` or `,
      )
    : sql`${ca.unitId} in ${subtreeUnits(t, s.path)}`;
  return sql`${t.owns(ca)} and ${ca.kind} = 'response' and ${ca.createdAt} >= ${s.start} and ${ca.createdAt} < ${s.end}
    and ${ca.counted} = 1 and ${ca.score} is not null ${s.category ? sql`and ${categorySql(s.category)}` : sql``} and (${where})`;
}

/** Whether an analysis falls in the current period (its unit's own split where zones are given). */
export function currentPeriod(t: TenantDb, s: CountScope): SQL {
  if (!s.zones || s.zones.length <= 1) return sql`(${ca.createdAt} >= ${s.split})`;
  return sql`(case ${sql.join(
    s.zones.map((z) => sql`when ${ca.unitId} in ${subtreeUnits(t, s.path, z.tz)} then ${ca.createdAt} >= ${z.split}`),
    sql` `,
  )} else 0 end)`;
}

export const FROM = sql`${ca}`;

type ThemeRow = { theme: string; comments: number; promoters: number; passives: number; detractors: number; sentimentSum: number | null; sentimentN: number; previous: number };

/** The two reads (per-theme counts, totals), to run in one batch. */
export function countQueries(t: TenantDb, s: CountScope) {
  const now = currentPeriod(t, s);
  // An analysis without a theme (most comments) adds no row: it is not even expanded. Whether a
  // row is of the current period is worked out once per row, not once per sum: `limit -1` keeps
  // SQLite from flattening the subquery into the sums.
  const perTheme = t.all<ThemeRow>(sql`
    select j.value as theme,
      sum(c.now) as comments,
      sum(c.now and c.score >= 9) as promoters,
      sum(c.now and c.score between 7 and 8) as passives,
      sum(c.now and c.score <= 6) as detractors,
      sum(case when c.now then c.sentiment end) as sentimentSum,
      sum(c.now and c.sentiment is not null) as sentimentN,
      sum(not c.now) as previous
    from (select ${now} as now, ${ca.score} as score, ${ca.sentiment} as sentiment, ${ca.themes} as themes
          from ${FROM} where ${inScope(t, s)} and ${ca.themes} <> '[]' limit -1) c, json_each(c.themes) j
    group by j.value`);
  const totals = t.all<{ comments: number | null; previous: number | null }>(sql`select sum(${now}) as comments, sum(not ${now}) as previous from ${FROM} where ${inScope(t, s)}`);
  return [perTheme, totals] as const;
}

export function countsFrom(rows: ThemeRow[], totals: { comments: number | null; previous: number | null }[]): { themes: ThemeCount[]; totals: Totals } {
  return {
    themes: rows.map((r) => ({
      theme: r.theme,
      comments: Number(r.comments),
      promoters: Number(r.promoters),
      passives: Number(r.passives),
      detractors: Number(r.detractors),
      sentimentSum: Number(r.sentimentSum ?? 0),
      sentimentN: Number(r.sentimentN),
      previous: Number(r.previous),
    })),
    totals: { comments: Number(totals[0]?.comments ?? 0), previous: Number(totals[0]?.previous ?? 0) },
  };
}

/** The local-day range, the period before it of the same length, and their bounds per time zone of the subtree. */
export async function periodScope(t: TenantDb, path: string, from: string, to: string, category?: Category): Promise<CountScope & { previousFrom: string; previousTo: string }> {
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  const previousFrom = addDays(from, -days);
  const zoneRows = await t.selectDistinct({ tz: units.timezone }).from(units).where(inSubtree(path));
  const zones = (zoneRows.length ? zoneRows.map((z) => z.tz) : ['UTC']).map((tz) => ({ tz, start: dayStart(previousFrom, tz), split: dayStart(from, tz), end: dayStart(addDays(to, 1), tz) }));
  return {
    path,
    start: Math.min(...zones.map((z) => z.start)),
    split: Math.min(...zones.map((z) => z.split)),
    end: Math.max(...zones.map((z) => z.end)),
    zones,
    category,
    previousFrom,
    previousTo: addDays(from, -1),
  };
}
