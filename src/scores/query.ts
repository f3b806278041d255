import { and, eq, exists, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { AnySQLiteColumn, SQLiteSelect } from 'drizzle-orm/sqlite-core';
import type { TenantDb } from '../db/tenant-db';
import {
  CONTACT_DIMS,
  contacts,
  responses,
  rollupWatermarks,
  rollupBranchDays,
  rollupBranchMonths,
  rollupDimDays,
  rollupDimMonths,
  rollupMonths,
  type ROLLUP_DIMS,
  rollups,
  SCORE_COLUMNS,
  units,
} from '../db/schema';
import { addAnswer, addTallies, answerWeight, categorize, emptyTally, WEIGHT_MAX, WEIGHT_MIN, type Tally } from '../scoring/nps';
import { type ContactDim, contactValue, contactValueSql } from './contact-cuts';
import { foldRows, foldRowsOf, foldStateOf, SUMS } from './fold';
import { localDay, offsetsOver, periodOf } from './local-day';

export const ROLLUP_GROUPS = ['unit', 'touchpoint', 'channel', 'segment', 'locale', 'vendor', 'agent'] as const;
/** The groups whose answers may have no value: their items are keyed `none` (docs/dimensions.md). */
export const ACTOR_GROUPS = ['vendor', 'agent'] as const;
export const CONTACT_GROUPS = ['tenure', 'contractSize', 'supportTier', 'account'] as const;
export type GroupBy = (typeof ROLLUP_GROUPS)[number] | (typeof CONTACT_GROUPS)[number];
export const isContactCut = (g: GroupBy | undefined): g is (typeof CONTACT_GROUPS)[number] => (CONTACT_GROUPS as readonly (string | undefined)[]).includes(g);
/** The contact cuts kept as subtree totals (tenure, contract size, support tier); the account is not. */
export const isContactDim = (g: GroupBy | undefined): g is ContactDim => (CONTACT_DIMS as readonly (string | undefined)[]).includes(g);
/**
 * Cuts read from the answers themselves, not the rollups: the account, the agent, and a vendor's
 * answers by unit (docs/dimensions.md). Counted from covering indexes of the answers.
 */
const fromAnswers = (q: ScoresScope) => q.groupBy === 'account' || q.groupBy === 'agent' || q.agentId !== undefined || (q.vendorId !== undefined && q.groupBy === 'unit');
/** Cuts counted from the answers by day (the account, the agent; a contact cut weighted by segment): at most this many days (docs/measurement.md). */
export const MAX_CONTACT_CUT_DAYS = 31;
export type Period = 'day' | 'week' | 'month' | 'quarter';
export type Weighting = 'none' | 'ltv' | 'poststrat';

export interface ScoresScope {
  /** The unit scored: its whole subtree counts. */
  root: { id: string; path: string };
  /** Local days, inclusive, YYYY-MM-DD. */
  from: string;
  to: string;
  period?: Period;
  groupBy?: GroupBy;
  weight: Weighting;
  /** Only the answers whose job this vendor unit performed / this agent handled (docs/dimensions.md). */
  vendorId?: string;
  agentId?: string;
}

type Dim = (typeof ROLLUP_DIMS)[number];
/** A day cell's column of each dimension, and of a group. */
const CELL_DIM = { touchpoint: rollups.touchpointId, channel: rollups.channel, locale: rollups.locale, vendor: rollups.vendorId } as const;

/** Counts and weighted sums per segment: weighting needs the segment mix of every group. */
export type Cells = Map<string, Tally>;
/** group key → period key ('' without a period) → per-segment tallies. */
export type Grouped = Map<string, Map<string, Cells>>;
/** group key → period key → how many answers gave each score 0..10 (unweighted counts). */
export type Distribution = Map<string, Map<string, number[]>>;

function tallyScores(into: Distribution, group: string, period: string, counts: number[]) {
  let byPeriod = into.get(group);
  if (!byPeriod) into.set(group, (byPeriod = new Map()));
  const to = byPeriod.get(period) ?? new Array<number>(11).fill(0);
  counts.forEach((n, i) => {
    to[i]! += Number(n);
  });
  byPeriod.set(period, to);
}

const oneScore = (score: number) => Array.from({ length: 11 }, (_, i) => (i === score ? 1 : 0));

function put(into: Grouped, group: string, period: string, segment: string, t: Tally) {
  let byPeriod = into.get(group);
  if (!byPeriod) into.set(group, (byPeriod = new Map()));
  let cells = byPeriod.get(period);
  if (!cells) byPeriod.set(period, (cells = new Map()));
  cells.set(segment, addTallies(cells.get(segment) ?? emptyTally(), t));
}

const subtree = (path: string) => and(gte(units.path, path), lt(units.path, `${path.slice(0, -1)}0`))!;

/** The child of the scored unit an answer's unit lies under (or the scored unit itself). */
function childOf(rootPath: string, rootId: string, path: string): string {
  if (path === rootPath) return rootId;
  const rest = path.slice(rootPath.length);
  return rest.slice(0, rest.indexOf('/'));
}

/** The group of an answer's contact in a contact cut, as SQL over the contact's current attributes (the representativeness review compares contacts). */
export function contactKeySql(groupBy: ContactDim): SQL<string> {
  return contactValueSql(groupBy, contacts);
}

/** One answer as a tally: counts, and its lifetime-value weight. */
const answerTally = (score: number, lifetimeValue: number | null) => addAnswer(emptyTally(), score, answerWeight(lifetimeValue));

/**
 * The answers of a scope, grouped: from the rollups up to the watermark (summed in SQL, so the
 * cost follows the number of groups, not of answers) plus the live tail of responses after it.
 * Contact cuts (tenure, contract size, support tier, account) are not rollup dimensions and are
 * read from the responses themselves.
 */
export async function gather(t: TenantDb, q: ScoresScope, dist?: Distribution, span?: KeySpan): Promise<Grouped> {
  const out: Grouped = new Map();
  if (span && isPagedCut(q.groupBy)) return isRootScope(q) ? gatherKeyed(t, q, span, out, dist) : inSpan(q, await gatherFromResponses(t, q, out, dist), span);
  if (fromAnswers(q)) return gatherFromResponses(t, q, out, dist);

  // A contact cut: the subtree totals below the scored unit once they are built, with its own
  // answers counted from the answers; weighted by segment or with a vendor filter (the totals have
  // neither), or while the totals are rebuilt, every answer is counted (docs/dimensions.md).
  const contactDim = isContactDim(q.groupBy);
  const [state, zones] = contactDim ? await Promise.all([foldStateOf(t), zonesOf(t, q)]) : [undefined, []];
  if (state && (state.dims < state.seq || needsSegments(q) || q.vendorId !== undefined)) return gatherFromResponses(t, q, out, dist);
  // The watermark as the batch's own snapshot sees it: a fold that commits after `foldStateOf`
  // moves the rollups and the tail's start together, so no answer is counted twice or missed.
  const folded = sql`coalesce((${t.select({ seq: rollupWatermarks.responseSeq }).from(rollupWatermarks)}), 0)`;
  const reads = contactDim
    ? dimTotalReads(t, q, !!dist, q.groupBy as ContactDim)
    : q.vendorId === undefined
      ? (ROLLUP_GROUPS_BY_BRANCH as readonly (GroupBy | undefined)[]).includes(q.groupBy)
        ? branchReads(t, q, !!dist)
        : cellReads(t, q, !!dist, q.groupBy as Dim)
      : // A vendor filter, in total or grouped by vendor: the vendor's dimension totals. Else the day cells.
        q.groupBy === undefined || q.groupBy === 'vendor'
        ? cellReads(t, q, !!dist, 'vendor', q.vendorId)
        : filteredCellReads(t, q, q.vendorId, !!dist);
  // The scored unit's own folded answers by contact (the totals hold the units below it).
  const own = contactDim && zones.length > 0 ? [countAnswers(t, q, zones, !!dist, folded)] : [];
  const [tail, ...rest] = await t.batch([
    foldRows(t)
      .where(and(subtree(q.root.path), sql`${responses}.rowid > ${folded}`, eq(responses.counted, true), sql`${responses.score} is not null`))
      .orderBy(sql`${responses}.rowid`),
    ...[...own, ...(q.period === 'week' ? reads.map((read) => weekly(t, q, read, !!dist)) : reads)].map((read) => packed(t, q, read, !!dist)),
  ] as unknown as [ReturnType<typeof foldRows>]);
  for (const rows of rest as Packed[]) putCounts(out, unpacked(q, rows, !!dist), dist);

  for (const r of foldRowsOf(tail)) {
    const day = localDay(r.createdAt, r.timezone);
    if (day < q.from || day > q.to) continue;
    if (q.vendorId !== undefined && r.vendorId !== q.vendorId) continue;
    const key =
      q.groupBy === 'unit'
        ? childOf(q.root.path, q.root.id, r.path)
        : q.groupBy === 'touchpoint'
          ? r.touchpointId
          : q.groupBy === 'channel'
            ? r.channel
            : q.groupBy === 'segment'
              ? r.segment
              : q.groupBy === 'locale'
                ? r.locale
                : q.groupBy === 'vendor'
                  ? r.vendorId
                  : contactDim
                    ? contactValue(r, q.groupBy as ContactDim)
                    : '';
    put(out, key, q.period ? periodOf(day, q.period) : '', r.segment, answerTally(r.score!, r.lifetimeValue));
    if (dist) tallyScores(dist, key, q.period ? periodOf(day, q.period) : '', oneScore(r.score!));
  }
  return out;
}

/**
 * The period the rollup reads group their cells by: a week's cells by day, in the order of the
 * cells' index (no sort), then summed into weeks (`weekly`). Worked out per cell, the week made
 * SQLite parse every cell's day and sort every cell (the root by week over two years at 1M:
 * 48 → 17 ms of SQLite CPU for 36,500 cells).
 */
const cellPeriod = (q: ScoresScope): Period | undefined => (q.period === 'week' ? 'day' : q.period);

/** A rollup read's day rows (`cellPeriod`) summed into weeks: the same columns, one row per group, week and segment. */
function weekly<T extends { as: (alias: string) => unknown }>(db: TenantDb, q: ScoresScope, read: T, withScores: boolean): T {
  const week = periodExpr(sql`"d"."p"`, 'day', 'week');
  // The columns `sums` reads: the lifetime-value sums (w…) with weight=ltv, the 0–10 counts (score_…) with a distribution.
  const columns = SUMS.filter((c) => (q.weight === 'ltv' || !c.startsWith('w')) && (withScores || !c.startsWith('score_')));
  return db
    .select({
      group: sql<string>`"d"."g"`.as('g'),
      period: sql<string>`${week}`.as('p'),
      segment: sql<string>`"d"."s"`.as('s'),
      ...Object.fromEntries(columns.map((c) => [c, sql<number>`sum("d".${sql.identifier(c)})`.as(c)])),
    })
    .from(read.as('d') as never)
    .groupBy(sql`"d"."g", ${week}, "d"."s"`) as unknown as T;
}

/** Groupings the branch totals serve: by child unit, by segment, or none. */
const ROLLUP_GROUPS_BY_BRANCH = [undefined, 'unit', 'segment'] as const;

/** A period key from a local day column (YYYY-MM-DD) or a month column (YYYY-MM). */
function periodExpr(col: SQL, level: 'day' | 'month', period: Period | undefined): SQL {
  if (period === 'month') return level === 'day' ? sql`substr(${col}, 1, 7)` : col;
  if (period === 'quarter') return sql`substr(${col}, 1, 4) || '-Q' || ((cast(substr(${col}, 6, 2) as integer) + 2) / 3)`;
  if (period === 'day') return col;
  if (period === 'week') return sql`date(${col}, '-6 days', 'weekday 1')`;
  return sql`''`;
}

/**
 * A subtree by child unit, by segment or in total: the branch totals of the scored unit (answers
 * below each child) plus the own cells of the unit and of its direct children. Whole months come
 * from month totals, the days at either end from day totals: a few rows per child and month,
 * whatever the number of sites or answers below.
 */
function branchReads(db: TenantDb, q: ScoresScope, withScores: boolean) {
  const group = (unitCol: SQL, segmentCol: SQL) => (q.groupBy === 'unit' ? unitCol : q.groupBy === 'segment' ? segmentCol : sql`''`);
  // The unit and its direct children as a union: with `id = ? or parent_id = ?` SQLite reads every
  // unit of the tenant for each read (5,051 at the scale bench's 10M), not two index lookups.
  const own = (unitCol: SQL) =>
    inArray(
      unitCol,
      db
        .select({ id: units.id })
        .from(units)
        .where(eq(units.id, q.root.id))
        .unionAll(db.select({ id: units.id }).from(units).where(eq(units.parentId, q.root.id))),
    );
  const totals = (t: typeof rollupBranchDays | typeof rollupBranchMonths | typeof rollups | typeof rollupMonths, part: Part) => {
    const at = part.level === 'day' ? (t as typeof rollups).day : (t as typeof rollupMonths).month;
    const branch = 'ancestorId' in t;
    const unitCol = branch ? sql`${(t as typeof rollupBranchDays).childId}` : sql`${(t as typeof rollups).unitId}`;
    const read = db
      .select({
        group: sql<string>`${group(unitCol, sql`${t.segment}`)}`.as('g'),
        period: sql<string>`${periodExpr(sql`${at}`, part.level, cellPeriod(q))}`.as('p'),
        segment: segmentOf(q, t.segment),
        ...sums(t, q, withScores),
      })
      .from(t)
      .where(and(branch ? eq((t as typeof rollupBranchDays).ancestorId, q.root.id) : own(unitCol), partWhere(db, sql`${at}`, part)))
      .$dynamic();
    return branch ? groupedBy(read, totalsTerms(q, q.groupBy === 'unit' || q.groupBy === 'segment')) : read.groupBy(ALL_TERMS);
  };
  return spanParts(q).flatMap((part) => (part.level === 'day' ? [totals(rollupBranchDays, part), totals(rollups, part)] : [totals(rollupBranchMonths, part), totals(rollupMonths, part)]));
}

/**
 * The parts of a range a totals read covers: the days at either end from the day totals; the whole
 * months through the last closed one from the month totals (`closed`), and those after it from the
 * day totals (`open`). Day and week periods read day totals only. The last closed month is read in
 * SQL (`partWhere`), as the batch's own snapshot sees it (a month's close writes its totals and
 * moves the mark in one batch), so a scores read needs no round trip to learn it first.
 */
type Part = { level: 'day' | 'month'; range: [string, string]; bound?: 'closed' | 'open' };
function spanParts(q: ScoresScope): Part[] {
  if (q.period === 'day' || q.period === 'week') return [{ level: 'day', range: [q.from, q.to] }];
  const span = monthSpan(q.from, q.to);
  const days = span.days.map((range): Part => ({ level: 'day', range }));
  if (!span.months) return days;
  const [first, last] = span.months;
  return [...days, { level: 'month', range: span.months, bound: 'closed' }, { level: 'day', range: [`${first}-01`, lastDay(last)], bound: 'open' }];
}

/**
 * A part's condition on a read's day or month column (`spanParts`): one range, whose bound moved by
 * the last closed month is one expression (min, max), so SQLite takes it as the index's range rather
 * than one of two bounds and the other as a filter over every row of the part.
 */
function partWhere(db: TenantDb, at: SQL, part: Part): SQL {
  const closed = sql`coalesce((${db.select({ through: rollupWatermarks.monthsClosedThrough }).from(rollupWatermarks)}), '')`;
  const [from, to] = part.range;
  // The first day after the last closed month is after its '-99' (and every day is after '-99' when none is closed).
  if (part.bound === 'closed') return sql`${at} between ${from} and min(${to}, ${closed})`;
  if (part.bound === 'open') return sql`${at} between max(${from}, ${closed} || '-99') and ${to}`;
  return sql`${at} between ${from} and ${to}`;
}

/**
 * Reads for a cut by one dimension (touchpoint, channel, locale, vendor), or for the answers of
 * one value of it (`value`: a vendor filter, in total or by vendor): the scored unit's dimension
 * totals (rollup_dim_days and rollup_dim_months: the units strictly below it), closed whole months
 * from the month totals and the other days (edges, open months, day and week periods) from the
 * day totals, plus the scored unit's own day cells. A few rows per value and day or month,
 * whatever the number of sites or answers below.
 */
function cellReads(db: TenantDb, q: ScoresScope, withScores: boolean, dim: Dim, value?: string) {
  // Grouped by the dimension, or (a filter in total) one group.
  const byDim = q.groupBy === dim;
  const own = db
    .select({
      group: sql<string>`${byDim ? sql`${CELL_DIM[dim]}` : sql`''`}`.as('g'),
      period: sql<string>`${periodExpr(sql`${rollups.day}`, 'day', cellPeriod(q))}`.as('p'),
      segment: segmentOf(q, rollups.segment),
      ...sums(rollups, q, withScores),
    })
    .from(rollups)
    .where(and(eq(rollups.unitId, q.root.id), sql`${rollups.day} between ${q.from} and ${q.to}`, value === undefined ? undefined : eq(CELL_DIM[dim], value)))
    .groupBy(ALL_TERMS);
  return [own, ...dimTotalReads(db, q, withScores, dim, value)];
}

/**
 * The scored unit's dimension totals (the units strictly below it) of a range: closed whole months
 * from rollup_dim_months, the other days from rollup_dim_days. Grouped by the dimension's value, or
 * (`value`: a filter in total) one group.
 */
function dimTotalReads(db: TenantDb, q: ScoresScope, withScores: boolean, dim: Dim | ContactDim, value?: string) {
  const byDim = q.groupBy === dim;
  return spanParts(q).map((part) => {
    const t = part.level === 'day' ? rollupDimDays : rollupDimMonths;
    const at = part.level === 'day' ? rollupDimDays.day : rollupDimMonths.month;
    const read = db
      .select({
        group: sql<string>`${byDim ? sql`${t.value}` : sql`''`}`.as('g'),
        period: sql<string>`${periodExpr(sql`${at}`, part.level, cellPeriod(q))}`.as('p'),
        segment: segmentOf(q, t.segment),
        ...sums(t, q, withScores),
      })
      .from(t)
      .where(and(eq(t.ancestorId, q.root.id), eq(t.dim, dim), value === undefined ? undefined : eq(t.value, value), partWhere(db, sql`${at}`, part)))
      .$dynamic();
    return groupedBy(read, totalsTerms(q, byDim));
  });
}

/** The child of the scored unit an answer's unit lies under (or the scored unit itself), in SQL: `childOf`. */
const childSql = (root: ScoresScope['root']) =>
  sql<string>`case when ${units.path} = ${root.path} then ${root.id} else substr(${units.path}, ${root.path.length + 1}, instr(substr(${units.path}, ${root.path.length + 1}), '/') - 1) end`;

/**
 * Reads for a vendor filter with any other grouping: the subtree's day cells of the range whose
 * vendor matches, grouped as asked. Exact like the rest; the cost follows the subtree's day cells
 * in the range (docs/dimensions.md).
 */
function filteredCellReads(db: TenantDb, q: ScoresScope, vendorId: string, withScores: boolean) {
  const group = q.groupBy === 'unit' ? childSql(q.root) : q.groupBy === 'segment' ? sql`${rollups.segment}` : sql`${CELL_DIM[q.groupBy as Dim]}`;
  return [
    db
      .select({
        group: sql<string>`${group}`.as('g'),
        period: sql<string>`${periodExpr(sql`${rollups.day}`, 'day', cellPeriod(q))}`.as('p'),
        segment: segmentOf(q, rollups.segment),
        ...sums(rollups, q, withScores),
      })
      .from(rollups)
      .innerJoin(units, eq(units.id, rollups.unitId))
      .where(and(subtree(q.root.path), sql`${rollups.day} between ${q.from} and ${q.to}`, eq(rollups.vendorId, vendorId)))
      .groupBy(ALL_TERMS),
  ];
}

/**
 * The GROUP BY of reads of the unit's own cells (rollups, rollup_months): a few rows, and a grouping
 * by day alone would make SQLite read every cell of the tenant in day order (rollups_tenant_day).
 */
const ALL_TERMS = sql`g, p, s`;

/**
 * A summing read grouped by the terms that vary for the query only, in the order of the keys of
 * what it reads (the totals, rollup_branch_* and rollup_dim_*: day, then child or value, then
 * segment). A constant term still has SQLite sort every row into a temporary B-tree (unit by day
 * at the root over two years: 86 → 24 ms for 36,405 rows; the agent remainder at the root: 161 ms
 * of 206,000 answers). Without any term, one row, kept only when it summed something, so an empty
 * read returns no row.
 */
function groupedBy<T extends SQLiteSelect>(read: T, terms: (SQL | undefined)[]) {
  const varying = terms.filter((x): x is SQL => x !== undefined);
  return varying.length > 0 ? read.groupBy(sql.join(varying, sql`, `)) : read.having(sql`count(*) > 0`);
}

/** A totals read's varying terms (`groupedBy`): the period, the group when grouped, the segment when needed. */
const totalsTerms = (q: ScoresScope, byGroup: boolean) => [q.period === undefined ? undefined : sql`p`, byGroup ? sql`g` : undefined, needsSegments(q) ? sql`s` : undefined];

/**
 * The segment column of a read, or '' where the segments are not needed: only post-stratified
 * weights and the segment cut tell them apart, and without them a read returns a fifth of the rows.
 */
const needsSegments = (q: ScoresScope) => q.weight === 'poststrat' || q.groupBy === 'segment';
const segmentOf = (q: ScoresScope, col: SQL | AnySQLiteColumn) => sql<string>`${needsSegments(q) ? col : sql`''`}`.as('s');

/** Sums of a rollup table's counts and weights. */
const sums = (t: typeof rollups | typeof rollupMonths | typeof rollupBranchDays | typeof rollupBranchMonths | typeof rollupDimDays | typeof rollupDimMonths, q: ScoresScope, withScores: boolean) => ({
  promoters: sql<number>`sum(${t.promoters})`.as('promoters'),
  passives: sql<number>`sum(${t.passives})`.as('passives'),
  detractors: sql<number>`sum(${t.detractors})`.as('detractors'),
  // The lifetime-value sums only when `weight=ltv` reads them (`packed`): SQLite sums every column of a read.
  ...(q.weight === 'ltv'
    ? {
        w: sql<number>`sum(${t.w})`.as('w'),
        w2: sql<number>`sum(${t.w2})`.as('w2'),
        wPromoters: sql<number>`sum(${t.wPromoters})`.as('w_promoters'),
        wDetractors: sql<number>`sum(${t.wDetractors})`.as('w_detractors'),
      }
    : {}),
  // The 0–10 counts only when a distribution is asked for: the common score query sums seven columns.
  ...(withScores ? (Object.fromEntries(SCORE_COLUMNS.map((c) => [c, sql<number>`sum(${t[c]})`.as(c)])) as Record<(typeof SCORE_COLUMNS)[number], SQL.Aliased<number>>) : {}),
});

const monthOf = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
const shiftMonth = (month: string, by: number) => monthOf(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + by);
const lastDay = (month: string) => new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).toISOString().slice(0, 10);

/** A range of local days as the whole months inside it and the leftover days at either end. */
export function monthSpan(from: string, to: string): { months?: [string, string]; days: [string, string][] } {
  const first = from.endsWith('-01') ? from.slice(0, 7) : shiftMonth(from.slice(0, 7), 1);
  const last = to === lastDay(to.slice(0, 7)) ? to.slice(0, 7) : shiftMonth(to.slice(0, 7), -1);
  if (first > last) return { days: [[from, to]] };
  const days: [string, string][] = [];
  if (from < `${first}-01`) days.push([from, lastDay(shiftMonth(first, -1))]);
  if (to > lastDay(last)) days.push([`${shiftMonth(last, 1)}-01`, to]);
  return { months: [first, last], days };
}

/** The scores 0..10. */
const SCORES = Array.from({ length: 11 }, (_, i) => i);

/** A local day is at most 14 hours off its UTC day, in every time zone. */
const ZONE_MS = 14 * 3600_000;
const DAY_MS = 86_400_000;

/**
 * An answer's local day in SQL: its time plus its unit's UTC offset at that time, from the
 * offsets of the zones present (`offsetsOver`: a CASE on the zone, then on the time for zones
 * that change their offset in the window). The same day as `localDay` (test/workers/scores.test.ts).
 */
function localDaySql(at: SQL, zone: SQL, zones: { zone: string; offsets: { start: number; offset: number }[] }[]): SQL<string> {
  return sql<string>`date(${localTimeSql(at, zone, zones)} / 1000, 'unixepoch')`;
}

/** An answer's local wall-clock time in ms (its time plus its unit's UTC offset then): its local day's source (`localDaySql`, `answerPeriod`). */
function localTimeSql(at: SQL, zone: SQL, zones: { zone: string; offsets: { start: number; offset: number }[] }[]): SQL<number> {
  const offsetIn = (offsets: { start: number; offset: number }[]) =>
    offsets.length === 1
      ? sql`${offsets[0]!.offset}`
      : sql`case ${sql.join(
          offsets
            .slice(1)
            .reverse()
            .map((o) => sql`when ${at} >= ${o.start} then ${o.offset}`),
          sql` `,
        )} else ${offsets[0]!.offset} end`;
  const offset = sql`case ${zone} ${sql.join(
    zones.map((z) => sql`when ${z.zone} then ${offsetIn(z.offsets)}`),
    sql` `,
  )} end`;
  return sql<number>`(${at} + ${offset})`;
}

/**
 * The period of an answer read (`countAnswers`): the key its answers are grouped by, and its label
 * (the period's text), which SQLite writes once per group from the group's row. A day and a week
 * are whole numbers worked out from the local time (the day since the epoch; the week of its
 * Monday, 1970-01-01 being a Thursday), so each answer costs integer arithmetic rather than the
 * date functions (an agent's answers by week at 1M: 63 → 52 ms of the libSQL server's CPU); a
 * month and a quarter come from the local day's text. The same periods as `periodOf`.
 */
function answerPeriod(local: SQL<number>, period: Period | undefined): { key: SQL | undefined; label: SQL } {
  // The driver binds the offsets as reals: the cast makes the day a whole number.
  const dayNumber = sql`cast(${local} / ${sql.raw(String(DAY_MS))} as integer)`;
  if (period === 'day') return { key: dayNumber, label: sql`date(${dayNumber} * 86400, 'unixepoch')` };
  if (period === 'week') {
    const week = sql`(${dayNumber} + 3) / 7`;
    return { key: week, label: sql`date((${week} * 7 - 3) * 86400, 'unixepoch')` };
  }
  return { key: period === undefined ? undefined : sql`p`, label: periodExpr(sql`date(${local} / 1000, 'unixepoch')`, 'day', period) };
}

/** An answer's group in a cut read from the answers, in SQL (`answerKey` is the same rule for one row). */
function answerKeySql(q: ScoresScope): SQL<string> {
  const g = q.groupBy;
  if (isContactDim(g)) return contactValueSql(g, responses);
  if (g === 'account') return sql<string>`coalesce(${contacts.accountId}, 'unknown')`;
  if (g === 'unit') return childSql(q.root);
  if (g === 'touchpoint') return sql<string>`${responses.touchpointId}`;
  if (g === 'channel') return sql<string>`${responses.channel}`;
  if (g === 'locale') return sql<string>`${responses.locale}`;
  if (g === 'segment') return sql<string>`coalesce(${responses.segment}, '')`;
  if (g === 'vendor') return sql<string>`coalesce(${responses.vendorId}, '')`;
  if (g === 'agent') return sql<string>`coalesce(${responses.agentId}, '')`;
  return sql<string>`''`;
}

/** The cuts whose groups come a page at a time (`gatherPage`): a tenant has thousands of accounts and agents. */
export const PAGED_CUTS = ['account', 'agent'] as const;
export const isPagedCut = (g: GroupBy | undefined): g is (typeof PAGED_CUTS)[number] => g === 'account' || g === 'agent';
/** The group of a paged cut's answers without a key (no agent; no contact, or a contact without an account): it comes after every key. */
const REMAINDER = { account: 'unknown', agent: '' } as const;
const isRootScope = (q: ScoresScope) => q.root.path.indexOf('/', 1) === q.root.path.length - 1;

/** A page of groups: at most `limit` after the key `after`, in the keys' binary order. */
export interface GroupPageRequest {
  after?: string;
  limit: number;
}

/**
 * The keys a page covers, for reading the same groups elsewhere (the compared range): the keyed
 * groups after `after` through `through` (none when null), and the remainder group when the page
 * is the last.
 */
export interface KeySpan {
  after?: string;
  through: string | null;
  remainder: boolean;
}

export interface GroupPage {
  groups: Grouped;
  /** The groups in the page's order: keys in binary order, a paged cut's remainder last. */
  order: string[];
  /** `after` of the next page; null on the last. */
  next: string | null;
  span: KeySpan;
}

const binary = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A page of a scope's groups (docs/measurement.md, paging). The account and the agent at the
 * root: the next `limit` keys with answers in the range, found through the key's own index, then
 * the answers of those keys alone, so a page costs what its groups hold, whatever the tenant's
 * size; the remainder (answers without an agent or an account) is counted on the last page only.
 * Within a subtree, and for the other cuts, every group of the scope is gathered and the page cut
 * from them: their cost follows the subtree, or the rollups.
 */
export async function gatherPage(t: TenantDb, q: ScoresScope, page: GroupPageRequest, dist?: Distribution): Promise<GroupPage> {
  if (isPagedCut(q.groupBy) && isRootScope(q)) {
    const zones = await zonesOf(t, q);
    const keys = zones.length === 0 ? [] : await keysAfter(t, q, zones, page.after ?? '', page.limit + 1);
    const more = keys.length > page.limit;
    const span: KeySpan = { after: page.after, through: keys.slice(0, page.limit).at(-1) ?? null, remainder: !more };
    const groups = await gatherKeyed(t, q, span, new Map(), dist, zones);
    const order = [...keys.slice(0, page.limit), ...(more ? [] : [REMAINDER[q.groupBy]])].filter((k) => groups.has(k));
    return { groups, order, next: more ? span.through : null, span };
  }
  const all = await gather(t, q, dist);
  const remainder = isPagedCut(q.groupBy) ? REMAINDER[q.groupBy] : undefined;
  const keys = [...all.keys()].filter((k) => k !== remainder && (page.after === undefined || k > page.after)).sort(binary);
  const more = keys.length > page.limit;
  const span: KeySpan = { after: page.after, through: keys.slice(0, page.limit).at(-1) ?? null, remainder: !more };
  const groups = inSpan(q, all, span);
  const order = [...keys.slice(0, page.limit), ...(remainder === undefined || more ? [] : [remainder])].filter((k) => groups.has(k));
  return { groups, order, next: more ? span.through : null, span };
}

/** The groups of a span (`KeySpan`) among every group of a scope. */
function inSpan(q: ScoresScope, all: Grouped, span: KeySpan): Grouped {
  const remainder = isPagedCut(q.groupBy) ? REMAINDER[q.groupBy] : undefined;
  const keep = (k: string) => (k === remainder ? span.remainder : span.through !== null && (span.after === undefined || k > span.after) && k <= span.through);
  return new Map([...all].filter(([k]) => keep(k)));
}

/**
 * The answers of a span of a paged cut at the root (`gatherPage`): the keyed groups through the
 * key's index (the agent's covering index; the account's contacts, then their answers), and the
 * remainder's answers when the span has it.
 */
async function gatherKeyed(t: TenantDb, q: ScoresScope, span: KeySpan, out: Grouped, dist?: Distribution, known?: Zones): Promise<Grouped> {
  const zones = known ?? (await zonesOf(t, q));
  if (zones.length === 0) return out;
  const reads = [
    ...(span.through === null ? [] : [countAnswers(t, q, zones, !!dist, undefined, { after: span.after ?? '', through: span.through })]),
    ...(span.remainder ? remainderReads(t, q, zones, !!dist) : []),
  ];
  if (reads.length === 0) return out;
  const results = (await t.batch(reads.map((read) => packed(t, q, read, !!dist)) as unknown as [ReturnType<typeof countAnswers>])) as unknown as Packed[];
  for (const rows of results) putCounts(out, unpacked(q, rows, !!dist), dist);
  return out;
}

/**
 * The reads of a paged cut's remainder at the root: the answers without an agent (through their
 * own partial covering index, responses_tenant_no_agent); for the account, the answers without a
 * contact (responses_tenant_no_contact) and the answers of contacts without an account (through
 * the contacts' account index). Each answer is in exactly one of them.
 */
function remainderReads(t: TenantDb, q: ScoresScope, zones: Zones, withScores: boolean) {
  if (q.groupBy === 'agent') return [countAnswers(t, q, zones, withScores, undefined, 'no agent')];
  return [countAnswers(t, q, zones, withScores, undefined, 'no contact'), countAnswers(t, q, zones, withScores, undefined, 'no account')];
}

/** The next `n` keys of a paged cut after `after` with answers in the scope, in binary order, through the key's index. */
async function keysAfter(t: TenantDb, q: ScoresScope, zones: Zones, after: string, n: number): Promise<string[]> {
  const inRange = answerFilters(q, zones, sql`(${t.select({ zone: units.timezone }).from(units).where(eq(units.id, responses.unitId))})`);
  if (q.groupBy === 'agent') {
    // Agent by agent: each step seeks the first answer in range of the next agent through the
    // agent's index, so the page's keys cost a probe each, not a walk of every answer of theirs (a
    // DISTINCT over the index reads them all: the bench's first page at 1M counts 38,450 of them).
    const next = (prev: SQL) =>
      t
        .select({ key: responses.agentId })
        .from(responses)
        .where(and(sql`${responses.agentId} > ${prev}`, inRange))
        .orderBy(responses.agentId)
        .limit(1);
    const rows = await t.all<{ key: string | null }>(
      sql`with recursive k(key) as (select (${next(sql`${after}`)}) union all select (${next(sql`k.key`)}) from k where k.key is not null limit ${n}) select key from k where key is not null`,
    );
    return rows.map((r) => r.key!);
  }
  const rows = await t
    .selectDistinct({ key: sql<string>`${contacts.accountId}` })
    .from(contacts)
    .where(
      and(
        sql`${contacts.accountId} > ${after}`,
        sql`${contacts.accountId} <> ${REMAINDER.account}`,
        exists(
          t
            .select({ one: sql`1` })
            .from(responses)
            .where(and(eq(responses.contactId, contacts.id), inRange)),
        ),
      ),
    )
    .orderBy(contacts.accountId)
    .limit(n);
  return rows.map((r) => r.key);
}

/**
 * Cuts read from the answers (the account, the agent, a vendor by unit: `fromAnswers`; the contact
 * attributes the answers keep, while their totals are rebuilt): the answers of the scope (joined to
 * their contacts for the account), counted in SQL by group, period, segment and score with their
 * lifetime-value weights, from covering indexes. Each answer's local day is computed in SQL from
 * its unit's time zone (`localDaySql`), so no answer is read into the Worker. An agent filter reads
 * that agent's answers through their own index.
 */
async function gatherFromResponses(db: TenantDb, q: ScoresScope, out: Grouped, dist?: Distribution): Promise<Grouped> {
  const zones = await zonesOf(db, q);
  if (zones.length === 0) return out;
  putCounts(out, unpacked(q, (await packed(db, q, countAnswers(db, q, zones, !!dist), !!dist)) as unknown as Packed, !!dist), dist);
  return out;
}

type Zones = { zone: string; offsets: { start: number; offset: number }[] }[];
/** What a summing read returns (`countAnswers`, the rollup reads): one row per group, period and segment, with the 0–10 counts when asked for. */
type Counted = { group: string; segment: string; period: string } & Tally & Record<(typeof SCORE_COLUMNS)[number], number>;

/** The time zones of a scope's units with their UTC offsets over its range (`offsetsOver`). */
async function zonesOf(db: TenantDb, q: ScoresScope): Promise<Zones> {
  const windowFrom = Date.parse(`${q.from}T00:00:00Z`) - ZONE_MS;
  const windowTo = Date.parse(`${q.to}T00:00:00Z`) + DAY_MS + ZONE_MS;
  const zoneRows = await db.selectDistinct({ zone: units.timezone }).from(units).where(subtree(q.root.path));
  return zoneRows.map(({ zone }) => ({ zone, offsets: offsetsOver(zone, windowFrom, windowTo) }));
}

/** A summing read's rows, packed in one JSON text (`packed`). */
type Packed = [{ packed: string }];
/** The columns a packed read carries, in their order: the counts, then the weighted sums written out in full (`packed`). */
const COUNTS = ['g', 'p', 's', 'promoters', 'passives', 'detractors'];
const WEIGHTED_SUMS = ['w', 'w2', 'w_promoters', 'w_detractors'].map((c) => `printf('%!.17g', ${c})`);

/**
 * A summing read (one row per group, period and segment) as one row holding them all in one JSON
 * text. Each value of a row otherwise crosses the wire as an object of its own and becomes a
 * property of a row object in the driver and again in the query builder: for the 7,290 rows of a
 * root's children by day over two years, that was two thirds of the request's time (218 → 76 ms).
 * The counts go as JSON integers. The lifetime-value sums go only when `weight=ltv` reads them
 * (the other weightings start from the counts: `weighTally`), as text of 17 significant digits,
 * which gives back the same double (SQLite writes a real in JSON with 15).
 */
function packed<T extends { as: (alias: string) => unknown }>(db: TenantDb, q: ScoresScope, read: T, withScores: boolean): T {
  const columns = [...COUNTS, ...(q.weight === 'ltv' ? WEIGHTED_SUMS : []), ...(withScores ? SCORE_COLUMNS.map((c) => `"${c}"`) : [])].join(', ');
  return db.select({ packed: sql<string>`json_group_array(json_array(${sql.raw(columns)}))` }).from(read.as('r') as never) as unknown as T;
}

/** The rows of a packed summing read (`packed`); without lifetime-value sums, each answer weighs 1. */
function unpacked(q: ScoresScope, rows: Packed, withScores: boolean): Counted[] {
  const ltv = q.weight === 'ltv';
  const scoresAt = COUNTS.length + (ltv ? WEIGHTED_SUMS.length : 0);
  return (JSON.parse(rows[0].packed) as (string | number)[][]).map((r) => {
    const [group, period, segment, promoters, passives, detractors] = r as [string, string, string, number, number, number];
    const n = promoters + passives + detractors;
    const [w, w2, wPromoters, wDetractors] = ltv ? r.slice(COUNTS.length, scoresAt).map(Number) : [n, n, promoters, detractors];
    const row = { group, period, segment, promoters, passives, detractors, w, w2, wPromoters, wDetractors } as Counted;
    if (withScores)
      SCORE_COLUMNS.forEach((c, i) => {
        row[c] = r[scoresAt + i] as number;
      });
    return row;
  });
}

/** Adds summed rows to the groups (and the distribution). */
function putCounts(out: Grouped, counted: Counted[], dist?: Distribution) {
  for (const r of counted) {
    put(out, r.group, r.period, r.segment, { promoters: r.promoters, passives: r.passives, detractors: r.detractors, w: r.w, w2: r.w2, wPromoters: r.wPromoters, wDetractors: r.wDetractors });
    if (dist)
      tallyScores(
        dist,
        r.group,
        r.period,
        SCORE_COLUMNS.map((c) => r[c]),
      );
  }
}

/**
 * The answers a count reads, besides their units or keys: counted, with a score, of the vendor and
 * agent asked for, and on a local day of the range. `zone` is the answer's unit's time zone in SQL.
 */
function answerFilters(q: ScoresScope, zones: Zones, zone: SQL) {
  const windowFrom = Date.parse(`${q.from}T00:00:00Z`) - ZONE_MS;
  const windowTo = Date.parse(`${q.to}T00:00:00Z`) + DAY_MS + ZONE_MS;
  const at = responses.createdAt;
  const day = localDaySql(sql`${at}`, zone, zones);
  // Answers at least 14 hours inside the range are inside it in every time zone: the filter works
  // their local day out only near the ends. SQLite computes an expression again wherever it is
  // written, so a period's key, which needs the day, does not make it free here (an agent's answers
  // by week at 1M: 96 → 82 ms of the libSQL server's CPU).
  const surelyIn = sql`${at} >= ${windowFrom + 2 * ZONE_MS} and ${at} < ${windowTo - 2 * ZONE_MS}`;
  return and(
    q.agentId === undefined ? undefined : eq(responses.agentId, q.agentId),
    eq(responses.counted, true),
    sql`${responses.score} is not null`,
    q.vendorId === undefined ? undefined : eq(responses.vendorId, q.vendorId),
    sql`${at} between ${windowFrom} and ${windowTo}`,
    sql`(${surelyIn} or ${day} between ${q.from} and ${q.to})`,
  )!;
}

/**
 * Which answers of a paged cut a count reads (`gatherPage`): the keys after `after` through
 * `through`; or a part of the remainder.
 */
type KeyRead = { after: string; through: string } | 'no agent' | 'no contact' | 'no account';

/**
 * The query of `gatherFromResponses`; `ownUpTo`: the scored unit's own answers up to that rowid
 * only; `keys`: a span or the remainder of a paged cut at the root (`gatherKeyed`).
 */
function countAnswers(db: TenantDb, q: ScoresScope, zones: Zones, withScores: boolean, ownUpTo?: SQL, keys?: KeyRead) {
  // The unit's row is joined for a cut by child unit (its path) or a period (every answer's local
  // day); a count in total looks its time zone up only for the answers near the ends.
  const joinUnits = q.groupBy === 'unit' || q.period !== undefined;
  const zone = joinUnits ? sql`${units.timezone}` : sql`(${db.select({ zone: units.timezone }).from(units).where(eq(units.id, responses.unitId))})`;
  const period = answerPeriod(localTimeSql(sql`${responses.createdAt}`, zone, zones), q.period);
  // The scoring module's answerWeight, in SQL: a value within the weight bounds, else 0.
  const weight = sql`case when ${responses.lifetimeValue} between ${WEIGHT_MIN} and ${WEIGHT_MAX} then ${responses.lifetimeValue} else 0 end`;
  // The scoring module's categories, as lists of scores: one rule, applied in SQL.
  const scoresOf = (category: ReturnType<typeof categorize>) => SCORES.filter((x) => categorize(x) === category);
  const isIn = (category: ReturnType<typeof categorize>) => sql`${responses.score} in (${sql.raw(scoresOf(category).join(', '))})`;
  const remainder = typeof keys === 'string' && isPagedCut(q.groupBy);
  // A span of keys groups by the key column itself (never null there), in the order its index
  // gives, so SQLite need not sort the answers; the remainder is one group.
  const key = remainder
    ? sql`${REMAINDER[q.groupBy as (typeof PAGED_CUTS)[number]]}`
    : keys !== undefined
      ? q.groupBy === 'agent'
        ? sql`${responses.agentId}`
        : sql`${contacts.accountId}`
      : answerKeySql(q);
  const select = {
    group: sql<string>`${key}`.as('g'),
    segment: sql<string>`${needsSegments(q) ? sql`coalesce(${responses.segment}, '')` : sql`''`}`.as('s'),
    period: sql<string>`${period.label}`.as('p'),
    promoters: sql<number>`sum(${isIn('promoter')})`.as('promoters'),
    passives: sql<number>`sum(${isIn('passive')})`.as('passives'),
    detractors: sql<number>`sum(${isIn('detractor')})`.as('detractors'),
    // The lifetime-value sums only when `weight=ltv` reads them (`packed`): SQLite sums every column of the read.
    ...(q.weight === 'ltv'
      ? {
          w: sql<number>`sum(${weight})`.as('w'),
          w2: sql<number>`sum(${weight} * ${weight})`.as('w2'),
          wPromoters: sql<number>`sum(case when ${isIn('promoter')} then ${weight} else 0 end)`.as('w_promoters'),
          wDetractors: sql<number>`sum(case when ${isIn('detractor')} then ${weight} else 0 end)`.as('w_detractors'),
        }
      : {}),
    // The 0–10 counts only when a distribution is asked for.
    ...(withScores
      ? (Object.fromEntries(SCORES.map((x) => [SCORE_COLUMNS[x], sql<number>`sum(${responses.score} = ${sql.raw(String(x))})`.as(SCORE_COLUMNS[x]!)])) as Record<string, SQL.Aliased<number>>)
      : {}),
  };
  const inSubtree = inArray(responses.unitId, db.select({ id: units.id }).from(units).where(subtree(q.root.path)));
  // Which answers: unit by unit of the subtree through (tenant, unit, created_at, …), which covers
  // what the count reads, so no lookup into the table per answer; one agent's answers, or a span of
  // agents', through the agent's index (covering too) when the scope is the whole tenant; a span of
  // accounts through their contacts; the remainder of a paged cut as `remainderReads` says (the
  // whole tenant: no subtree condition, so its partial indexes serve it).
  const which =
    ownUpTo !== undefined
      ? and(eq(responses.unitId, q.root.id), sql`${responses}.rowid <= ${ownUpTo}`)
      : keys === undefined
        ? q.agentId !== undefined && isRootScope(q)
          ? undefined
          : inSubtree
        : keys === 'no agent'
          ? and(isRootScope(q) ? undefined : inSubtree, sql`${responses.agentId} is null`)
          : keys === 'no contact'
            ? and(isRootScope(q) ? undefined : inSubtree, sql`${responses.contactId} is null`)
            : keys === 'no account'
              ? sql`(${contacts.accountId} is null or ${contacts.accountId} = ${REMAINDER.account})`
              : q.groupBy === 'agent'
                ? sql`${responses.agentId} > ${keys.after} and ${responses.agentId} <= ${keys.through}`
                : sql`${contacts.accountId} > ${keys.after} and ${contacts.accountId} <= ${keys.through} and ${contacts.accountId} <> ${REMAINDER.account}`;
  // A span of accounts, and the contacts without one, start from the contacts: a cross join keeps
  // them the outer loop (SQLite, without statistics, would rather walk the answers by time), and
  // each contact's answers come through (tenant, contact, created_at). The other account reads keep
  // the answers without a contact (left join, under `unknown`).
  const byContacts = q.groupBy === 'account' && keys !== undefined && keys !== 'no contact';
  const base = byContacts ? db.select(select).from(contacts).crossJoin(responses).$dynamic() : db.select(select).from(responses).$dynamic();
  const rows = joinUnits ? base.innerJoin(units, eq(units.id, responses.unitId)) : base;
  const joined = q.groupBy === 'account' && keys === undefined ? rows.leftJoin(contacts, eq(contacts.id, responses.contactId)) : rows;
  const counted = joined.where(and(byContacts ? eq(responses.contactId, contacts.id) : undefined, which, answerFilters(q, zones, zone)));
  return groupedBy(counted, [remainder || q.groupBy === undefined ? undefined : sql`g`, period.key, needsSegments(q) ? sql`s` : undefined]);
}

/**
 * The weight post-stratification gives each answer of a segment (shares renormalised over the
 * segments present with answers; a segment without a share weighs 0): share·n / n_segment, so
 * the weights sum to n. One rule for the scores API and the representativeness review.
 */
export function poststratWeights(cells: Cells, shares: Record<string, number> | undefined): Map<string, number> {
  const size = (c: Tally) => c.promoters + c.passives + c.detractors;
  let n = 0;
  for (const c of cells.values()) n += size(c);
  const present = [...cells.entries()].filter(([s, c]) => (shares?.[s] ?? 0) > 0 && size(c) > 0);
  const shareSum = present.reduce((a, [s]) => a + shares![s]!, 0);
  const out = new Map<string, number>();
  for (const [s, c] of cells) out.set(s, present.some(([p]) => p === s) ? ((shares![s]! / shareSum) * n) / size(c) : 0);
  return out;
}

/**
 * One tally from a group's per-segment cells, weighted as asked: `none` counts answers;
 * `ltv` uses the lifetime-value sums; `poststrat` weighs each segment to its population share
 * (`poststratWeights`).
 */
export function weighTally(cells: Cells, weight: Weighting, shares?: Record<string, number>): Tally {
  let t = emptyTally();
  for (const c of cells.values()) t = addTallies(t, c);
  if (weight === 'ltv') return t;
  const n = t.promoters + t.passives + t.detractors;
  if (weight === 'none') return { ...t, w: n, w2: n, wPromoters: t.promoters, wDetractors: t.detractors };
  const weights = poststratWeights(cells, shares);
  const out = { ...t, w: 0, w2: 0, wPromoters: 0, wDetractors: 0 };
  for (const [s, c] of cells) {
    const ws = weights.get(s)!;
    if (ws === 0) continue;
    const ns = c.promoters + c.passives + c.detractors;
    out.w += ws * ns;
    out.w2 += ws * ws * ns;
    out.wPromoters += ws * c.promoters;
    out.wDetractors += ws * c.detractors;
  }
  return out;
}
