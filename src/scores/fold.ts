import { and, eq, inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { commit, type Db } from '../db/client';
import { heldFoldMark } from '../db/fold-mark';
import { TenantDb } from '../db/tenant-db';
import { CONTACT_DIMS, responses, ROLLUP_DIMS, rollupWatermarks, SCORE_COLUMNS, units } from '../db/schema';
import { addAnswer, answerWeight, type Tally } from '../scoring/nps';
import { type ContactAttributes, contactValue } from './contact-cuts';
import { localDay } from './local-day';

/** How many new responses one fold reads: a tick folds at most this many per tenant. */
export const FOLD_BATCH = 5000;

/** The dimensions of a rollup cell. */
export interface CellKey {
  unitId: string;
  day: string;
  touchpointId: string;
  channel: string;
  segment: string;
  locale: string;
  surveyId: string;
  surveyVersion: number;
  /** The vendor unit of the answer's job; '' when none was named (docs/dimensions.md). The agent is not a cell dimension. */
  vendorId: string;
}

/** A cell's sums: a tally of the scoring module (lifetime values as weights) and the count of each score 0..10. */
export type CellSums = Tally & { scores: number[] };

/** An answer as the rollups see it. */
export interface FoldRow extends Omit<CellKey, 'day'>, ContactAttributes {
  seq: number;
  createdAt: number;
  timezone: string;
  /** The unit's materialised path now: the branches an answer adds to. */
  path: string;
  score: number | null;
  counted: boolean;
  lifetimeValue: number | null;
}

const cellId = (k: CellKey) => JSON.stringify([k.unitId, k.day, k.touchpointId, k.channel, k.segment, k.locale, k.surveyId, k.surveyVersion, k.vendorId]);

const emptySums = (): CellSums => ({ promoters: 0, passives: 0, detractors: 0, w: 0, w2: 0, wPromoters: 0, wDetractors: 0, scores: new Array<number>(11).fill(0) });

/** Adds one answer to a cell's sums: the scoring module's tally (its lifetime value as weight; unknown or out of bounds weighs 0) and its score's count. */
function addToSums(s: CellSums, score: number, lifetimeValue: number | null) {
  Object.assign(s, addAnswer(s, score, answerWeight(lifetimeValue)));
  s.scores[score]!++;
}

/** An answer's local day, the day cells' and the contact totals' (a fold reads it for both). */
const answerDay = (r: FoldRow) => localDay(r.createdAt, r.timezone);

/** Sums answers into cells; only counted answers with a score add anything. */
export function sumCells(rows: FoldRow[], dayOf = answerDay): Map<string, { key: CellKey; sums: CellSums }> {
  const cells = new Map<string, { key: CellKey; sums: CellSums }>();
  for (const r of rows) {
    if (!r.counted || r.score === null) continue;
    const key: CellKey = {
      unitId: r.unitId,
      day: dayOf(r),
      touchpointId: r.touchpointId,
      channel: r.channel,
      segment: r.segment,
      locale: r.locale,
      surveyId: r.surveyId,
      surveyVersion: r.surveyVersion,
      vendorId: r.vendorId,
    };
    const id = cellId(key);
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = { key, sums: emptySums() }));
    addToSums(cell.sums, r.score, r.lifetimeValue);
  }
  return cells;
}

/**
 * An answer as `foldRows` packs it: one JSON array, in this order. The driver builds an object
 * with a property per column for every row it decodes, and drizzle maps each field, so one
 * column instead of eighteen is most of the CPU a fold spends reading thousands of answers
 * (docs/measurement.md, "The fold").
 */
function foldRowOf(packed: string): FoldRow {
  const [seq, unitId, createdAt, timezone, path, touchpointId, channel, segment, locale, surveyId, surveyVersion, vendorId, score, counted, lifetimeValue, tenureMonths, contractSize, supportTier] =
    JSON.parse(packed);
  return {
    seq,
    unitId,
    createdAt,
    timezone,
    path,
    touchpointId,
    channel,
    segment,
    locale,
    surveyId,
    surveyVersion,
    vendorId,
    score,
    counted: counted === 1,
    lifetimeValue,
    tenureMonths,
    contractSize,
    supportTier,
  };
}

/** Responses of a tenant as fold rows (`{ row }`), in insertion order, with their unit's path and time zone. */
export function foldRows(t: TenantDb) {
  const tenantId = t.tenantId;
  return t
    .select({
      row: sql<FoldRow>`json_array(${responses}.rowid, ${responses.unitId}, ${responses.createdAt}, ${units.timezone}, ${units.path}, ${responses.touchpointId},
        ${responses.channel}, coalesce(${responses.segment}, ''), ${responses.locale}, ${responses.surveyId}, ${responses.surveyVersion}, coalesce(${responses.vendorId}, ''),
        ${responses.score}, ${responses.counted}, ${responses.lifetimeValue}, ${responses.tenureMonths}, ${responses.contractSize}, ${responses.supportTier})`.mapWith(foldRowOf),
    })
    .from(responses)
    .innerJoin(units, and(eq(units.id, responses.unitId), eq(units.tenantId, responses.tenantId)))
    .where(eq(responses.tenantId, tenantId))
    .$dynamic();
}

/** The fold rows of a `foldRows` result. */
export const foldRowsOf = (result: unknown) => (result as { row: FoldRow }[]).map((r) => r.row);

/** Rows per upsert statement (they travel as one JSON parameter). */
const UPSERT_ROWS = 1000;

/** A rollup table, its key columns in the order of its unique index (after tenant_id). */
export interface Target {
  table: 'rollups' | 'rollup_months' | 'rollup_branch_days' | 'rollup_branch_months' | 'rollup_dim_days' | 'rollup_dim_months';
  keys: string[];
}
const DAY_CELLS: Target = { table: 'rollups', keys: ['unit_id', 'day', 'touchpoint_id', 'channel', 'segment', 'locale', 'survey_id', 'survey_version', 'vendor_id'] };
const MONTHS: Target = { table: 'rollup_months', keys: ['unit_id', 'month', 'segment'] };
const BRANCH_DAYS: Target = { table: 'rollup_branch_days', keys: ['ancestor_id', 'day', 'child_id', 'segment'] };
const BRANCH_MONTHS: Target = { table: 'rollup_branch_months', keys: ['ancestor_id', 'month', 'child_id', 'segment'] };
const DIM_DAYS: Target = { table: 'rollup_dim_days', keys: ['ancestor_id', 'dim', 'day', 'value', 'segment'] };
const DIM_MONTHS: Target = { table: 'rollup_dim_months', keys: ['ancestor_id', 'month', 'dim', 'value', 'segment'] };
/** The day-cell column of each dimension of rollup_dim_days and _months, and its value in a cell key. */
const DIM_COLUMNS = { touchpoint: 'touchpoint_id', channel: 'channel', locale: 'locale', vendor: 'vendor_id' } as const;
const DIM_FIELDS = { touchpoint: 'touchpointId', channel: 'channel', locale: 'locale', vendor: 'vendorId' } as const;
const dimValue = (k: CellKey, dim: (typeof ROLLUP_DIMS)[number]) => String(k[DIM_FIELDS[dim]]);
/** SQL: one row per dimension (`d.dim`), to cross join with day cells; and a day cell's value of `d.dim`. */
const EACH_DIM = sql.raw(`(${ROLLUP_DIMS.map((d) => `select '${d}' as dim`).join(' union all ')}) d`);
const dimValueOf = (cell: string) => sql.raw(`case d.dim ${ROLLUP_DIMS.map((d) => `when '${d}' then ${cell}.${DIM_COLUMNS[d]}`).join(' ')} end`);
/** The sum columns of every rollup table, in the order `sumValues` gives them. */
export const SUMS = ['promoters', 'passives', 'detractors', 'w', 'w2', 'w_promoters', 'w_detractors', ...SCORE_COLUMNS];
const TALLY_FIELDS = ['promoters', 'passives', 'detractors', 'w', 'w2', 'wPromoters', 'wDetractors'] as const;
/** A tally's values in the order of SUMS. */
export const sumValues = (s: CellSums) => [...TALLY_FIELDS.map((f) => s[f]), ...s.scores];

/** A tally keyed by a tuple, summed in memory before it is written. */
interface Total {
  key: (string | number)[];
  sums: CellSums;
}

/**
 * Keyed tallies, summed in memory before they are written: a fold adds about 15 per answer. A
 * Map per key part, not one Map keyed by the tuple's text: the parts are strings the rows already
 * hold, whose hashes V8 keeps, where a text key would be built and hashed on every call (half
 * of `foldedTotals`' time). Every key of one Totals has the same length.
 */
class Totals {
  private readonly first = new Map<string | number, unknown>();
  private readonly all: Total[] = [];

  add(key: (string | number)[], sums: CellSums) {
    let map = this.first;
    const last = key.length - 1;
    for (let i = 0; i < last; i++) {
      let next = map.get(key[i]!) as Map<string | number, unknown> | undefined;
      if (!next) map.set(key[i]!, (next = new Map()));
      map = next;
    }
    const t = map.get(key[last]!) as Total | undefined;
    if (!t) {
      const total = { key, sums: { ...sums, scores: [...sums.scores] } };
      map.set(key[last]!, total);
      this.all.push(total);
      return;
    }
    // Indexed loops: the fold's hot path.
    const into = t.sums;
    for (let f = 0; f < TALLY_FIELDS.length; f++) into[TALLY_FIELDS[f]!] += sums[TALLY_FIELDS[f]!];
    for (let i = 0; i < sums.scores.length; i++) into.scores[i]! += sums.scores[i]!;
  }

  values(): Total[] {
    return this.all;
  }
}

/**
 * Adds tallies to a rollup table: one upsert per 1,000 rows, the rows as one JSON array
 * parameter that SQL unpacks (json_each), so a fold costs a few statements and little work to
 * build them. INSERT … SELECT … WHERE: every statement checks that the fold state is still the
 * one this fold started from, so two overlapping folds (or a fold and a unit move or a month
 * closing) cannot count the same answers twice.
 *
 * Each row is made JSONB once (`jsonb(value)`) and its columns read from that binary form
 * (`v ->> i`): `json_extract` on the row's text looked the text up in SQLite's JSON cache again
 * for each of its 27 columns, half of the upsert's CPU (docs/measurement.md, "The fold"). The
 * OFFSET keeps the subquery from being flattened into the outer SELECT, where `jsonb()` would run
 * once per column (sqlite.org/optoverview.html, flattening restriction 14); it runs as a
 * co-routine, without a temporary table whose rows would count as scanned.
 */
function upsert(t: TenantDb, target: Target, rows: Iterable<{ key: (string | number)[]; sums: CellSums }>, guard: FoldState) {
  const tenantId = t.tenantId;
  const list = [...rows];
  const names = [...target.keys, ...SUMS];
  const columns = sql.raw(['tenant_id', ...names].join(', '));
  const picks = sql.raw(names.map((_, i) => `v ->> ${i}`).join(', '));
  const conflict = sql.raw(['tenant_id', ...target.keys].join(', '));
  const add = sql.raw(SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', '));
  const statements = [];
  for (let i = 0; i < list.length; i += UPSERT_ROWS) {
    const json = JSON.stringify(list.slice(i, i + UPSERT_ROWS).map(({ key, sums }) => [...key, ...sumValues(sums)]));
    statements.push(
      t.run(sql`insert into ${sql.raw(target.table)} (${columns})
        select ${tenantId}, ${picks} from (select jsonb(value) as v from json_each(${json}) limit -1 offset 0)
        where ${guarded(tenantId, guard)}
        on conflict (${conflict}) do update set ${add}`),
    );
  }
  return statements;
}

/** Where the fold stands: the highest folded rowid and the hierarchy version it folded against. */
export interface FoldState {
  seq: number;
  tree: number;
  /** Months up to this one (YYYY-MM; '' none) have their month rows built. */
  closed: string;
  /** The highest rowid in the contact dimension totals: `seq` once caught up (schema: contact_dims_seq). */
  dims: number;
}

export async function foldStateOf(t: TenantDb): Promise<FoldState> {
  const tenantId = t.tenantId;
  const [row] = await t
    .select({ seq: rollupWatermarks.responseSeq, tree: rollupWatermarks.treeVersion, closed: rollupWatermarks.monthsClosedThrough, dims: rollupWatermarks.contactDimsSeq })
    .from(rollupWatermarks)
    .where(eq(rollupWatermarks.tenantId, tenantId));
  return row ?? { seq: 0, tree: 0, closed: '', dims: 0 };
}

const guarded = (tenantId: TenantDb['tenantId'], g: FoldState) =>
  sql`coalesce((select response_seq = ${g.seq} and tree_version = ${g.tree} and months_closed_through = ${g.closed} and contact_dims_seq = ${g.dims} from rollup_watermarks where tenant_id = ${tenantId}), ${g.seq} = 0 and ${g.tree} = 0 and ${g.closed} = '' and ${g.dims} = 0)`;

/** The unit ids of a materialised path, root first. */
const idsOf = (path: string) => path.split('/').filter(Boolean);

/**
 * The branches an answer at a unit adds to: (ancestor, child) for every child on the way down
 * that is not the answer's unit itself.
 */
export function branchesOf(path: string): [string, string][] {
  const ids = idsOf(path);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 2 < ids.length; i++) pairs.push([ids[i]!, ids[i + 1]!]);
  return pairs;
}

/** The path of the unit `id` on a path: the path up to and including it. */
const pathTo = (path: string, id: string) => path.slice(0, path.indexOf(`/${id}/`) + id.length + 2);

/** The units strictly above the unit of a path, root first. */
const ancestorsOf = (path: string) => idsOf(path).slice(0, -1);

/** A unit's branches and ancestors (`branchesOf`, `ancestorsOf` of its path). */
interface Lineage {
  branches: [string, string][];
  ancestors: string[];
}

/** Month totals, branch totals and dimension totals (per day, and per month for closed months only) of a set of day cells. */
function aggregates(cells: Iterable<{ key: CellKey; sums: CellSums }>, lineageOf: (unitId: string) => Lineage, closed: string) {
  const months = new Totals();
  const branchDays = new Totals();
  const branchMonths = new Totals();
  const dimDays = new Totals();
  const dimMonths = new Totals();
  for (const { key, sums } of cells) {
    const month = key.day.slice(0, 7);
    // An open month's rows are built when it closes; a late answer for a closed one adds here.
    const isClosed = month <= closed;
    if (isClosed) months.add([key.unitId, month, key.segment], sums);
    const { branches, ancestors } = lineageOf(key.unitId);
    for (const [ancestor, child] of branches) {
      branchDays.add([ancestor, key.day, child, key.segment], sums);
      if (isClosed) branchMonths.add([ancestor, month, child, key.segment], sums);
    }
    for (const ancestor of ancestors)
      for (const dim of ROLLUP_DIMS) {
        dimDays.add([ancestor, dim, key.day, dimValue(key, dim), key.segment], sums);
        if (isClosed) dimMonths.add([ancestor, month, dim, dimValue(key, dim), key.segment], sums);
      }
  }
  return { months: months.values(), branchDays: branchDays.values(), branchMonths: branchMonths.values(), dimDays: dimDays.values(), dimMonths: dimMonths.values() };
}

/**
 * The contact dimension totals of a set of answers (per ancestor, local day, dimension and value;
 * per closed month too), from the answers themselves: the day cells do not carry the contact's
 * attributes. Without segments: a cut weighted by segment reads the answers (src/scores/query.ts).
 */
function contactAggregates(rows: FoldRow[], closed: string, ancestorsOfRow = (r: FoldRow) => ancestorsOf(r.path), dayOf = answerDay) {
  const days = new Totals();
  const months = new Totals();
  for (const r of rows) {
    if (!r.counted || r.score === null) continue;
    const day = dayOf(r);
    const month = day.slice(0, 7);
    const sums = emptySums();
    addToSums(sums, r.score, r.lifetimeValue);
    for (const ancestor of ancestorsOfRow(r))
      for (const dim of CONTACT_DIMS) {
        const value = contactValue(r, dim);
        days.add([ancestor, dim, day, value, ''], sums);
        if (month <= closed) months.add([ancestor, month, dim, value, ''], sums);
      }
  }
  return { days: days.values(), months: months.values() };
}

/**
 * One batch of the contact dimension totals' rebuild (after the migration that added them, or a
 * unit move): the folded answers after `contact_dims_seq`, up to FOLD_BATCH of them, added like a
 * fold adds them, in one guarded batch that advances the mark. Returns how many it read.
 */
async function catchUpContactDims(t: TenantDb, from: FoldState): Promise<number> {
  const tenantId = t.tenantId;
  const rows = foldRowsOf(
    await foldRows(t)
      .where(and(eq(responses.tenantId, tenantId), sql`${responses}.rowid > ${from.dims}`, sql`${responses}.rowid <= ${from.seq}`))
      .orderBy(sql`${responses}.rowid`)
      .limit(FOLD_BATCH),
  );
  const to = rows.length < FOLD_BATCH ? from.seq : rows[rows.length - 1]!.seq;
  const { days, months } = contactAggregates(rows, from.closed);
  await commit(t, [
    ...upsert(t, DIM_DAYS, days, from),
    ...upsert(t, DIM_MONTHS, months, from),
    t.run(sql`update rollup_watermarks set contact_dims_seq = ${to} where tenant_id = ${tenantId} and ${guarded(tenantId, from)}`),
  ]);
  return rows.length;
}

const cellRow = ({ key: k, sums }: { key: CellKey; sums: CellSums }) => ({
  key: [k.unitId, k.day, k.touchpointId, k.channel, k.segment, k.locale, k.surveyId, k.surveyVersion, k.vendorId],
  sums,
});

/** Rewrites a unit's month total for a segment as the sum of its day cells (after a correction). */
const rebuildMonth = (t: TenantDb, unitId: string, month: string, segment: string, guard: FoldState, tenantId = t.tenantId) => [
  t.run(sql`delete from rollup_months where tenant_id = ${tenantId} and unit_id = ${unitId} and month = ${month} and segment = ${segment} and ${guarded(tenantId, guard)}`),
  t.run(sql`insert into rollup_months (tenant_id, unit_id, month, segment, ${sql.raw(SUMS.join(', '))})
    select tenant_id, unit_id, ${month}, segment, ${sql.raw(SUMS.map((c) => `sum(${c})`).join(', '))}
    from rollups where tenant_id = ${tenantId} and unit_id = ${unitId} and segment = ${segment} and day between ${`${month}-01`} and ${`${month}-31`} and ${guarded(tenantId, guard)}
    group by tenant_id, unit_id, segment`),
];

/**
 * What a batch of answers adds to each rollup table, in the order a fold writes it: day cells,
 * month totals (closed months only), branch totals, dimension totals, contact totals. Pure: the
 * fold upserts these rows, and the bench's bulk loader (scripts/bench-scale.ts) writes the same.
 */
export function foldedTotals(rows: FoldRow[], closed: string): { target: Target; rows: Iterable<{ key: (string | number)[]; sums: CellSums }> }[] {
  const days = new Map(rows.map((r) => [r, answerDay(r)]));
  const dayOf = (r: FoldRow) => days.get(r)!;
  const cells = sumCells(rows, dayOf);
  // Worked out once per unit, not per cell and per answer.
  const lineage = new Map<string, Lineage>();
  for (const r of rows) if (!lineage.has(r.unitId)) lineage.set(r.unitId, { branches: branchesOf(r.path), ancestors: ancestorsOf(r.path) });
  const lineageOf = (unitId: string) => lineage.get(unitId)!;
  const { months, branchDays, branchMonths, dimDays, dimMonths } = aggregates(cells.values(), lineageOf, closed);
  const contact = contactAggregates(rows, closed, (r) => lineageOf(r.unitId).ancestors, dayOf);
  return [
    { target: DAY_CELLS, rows: [...cells.values()].map(cellRow) },
    { target: MONTHS, rows: months },
    { target: BRANCH_DAYS, rows: branchDays },
    { target: BRANCH_MONTHS, rows: branchMonths },
    { target: DIM_DAYS, rows: dimDays },
    { target: DIM_MONTHS, rows: dimMonths },
    { target: DIM_DAYS, rows: contact.days },
    { target: DIM_MONTHS, rows: contact.months },
  ];
}

/**
 * Folds a tenant's responses past its watermark into the rollups, in one atomic batch with the
 * new watermark. Running it again finds nothing new: idempotent. Answers not counted or not yet
 * scored are passed over; changes to them later are corrections (`recomputeCells`).
 */
export async function foldTenant(t: TenantDb, now: number): Promise<{ folded: number; watermark: number }> {
  const tenantId = t.tenantId;
  let from = await foldStateOf(t);
  if (from.dims < from.seq) {
    // The contact totals are being rebuilt: a batch of that first, then (once caught up) the new answers.
    const read = await catchUpContactDims(t, from);
    if (read === FOLD_BATCH) return { folded: read, watermark: from.seq };
    from = await foldStateOf(t);
    if (from.dims < from.seq) return { folded: read, watermark: from.seq };
  }
  const rows = foldRowsOf(
    await foldRows(t)
      .where(and(eq(responses.tenantId, tenantId), sql`${responses}.rowid > ${from.seq}`))
      .orderBy(sql`${responses}.rowid`)
      .limit(FOLD_BATCH),
  );
  if (rows.length === 0) return { folded: 0, watermark: from.seq };
  const to = rows[rows.length - 1]!.seq;
  const statements: BatchItem<'sqlite'>[] = foldedTotals(rows, from.closed).flatMap(({ target, rows }) => upsert(t, target, rows, from));
  // The contact totals were caught up (above): they advance with the fold.
  statements.push(
    t
      .insert(rollupWatermarks)
      .values({ responseSeq: to, foldedAt: now, treeVersion: from.tree, monthsClosedThrough: from.closed, contactDimsSeq: to })
      .onConflictDoUpdate({ target: rollupWatermarks.tenantId, set: { responseSeq: to, foldedAt: now, contactDimsSeq: to }, setWhere: guarded(tenantId, from) }),
  );
  await commit(t, statements);
  return { folded: rows.length, watermark: to };
}

/** Rewrites one branch total from the day cells or month totals of the units strictly below its child. */
function rebuildBranch(t: TenantDb, level: 'day' | 'month', ancestor: string, child: { id: string; path: string }, at: string, segment: string, guard: FoldState) {
  const tenantId = t.tenantId;
  const [target, source] = level === 'day' ? ['rollup_branch_days', 'rollups'] : ['rollup_branch_months', 'rollup_months'];
  const col = sql.raw(level);
  const end = `${child.path.slice(0, -1)}0`; // '/' + 1: every path below the child sorts before it
  return [
    t.run(
      sql`delete from ${sql.raw(target)} where tenant_id = ${tenantId} and ancestor_id = ${ancestor} and ${col} = ${at} and child_id = ${child.id} and segment = ${segment} and ${guarded(tenantId, guard)}`,
    ),
    t.run(sql`insert into ${sql.raw(target)} (tenant_id, ancestor_id, ${col}, child_id, segment, ${sql.raw(SUMS.join(', '))})
      select r.tenant_id, ${ancestor}, ${at}, ${child.id}, ${segment}, ${sql.raw(SUMS.map((c) => `sum(r.${c})`).join(', '))}
      from ${sql.raw(source)} r join units u on u.id = r.unit_id and u.tenant_id = r.tenant_id
      where r.tenant_id = ${tenantId} and r.${col} = ${at} and r.segment = ${segment} and u.path > ${child.path} and u.path < ${end} and ${guarded(tenantId, guard)}
      group by r.tenant_id`),
  ];
}

/** Rewrites one dimension total of an ancestor (a day's, or a month's) from the day cells of the units strictly below it. */
function rebuildDim(t: TenantDb, level: 'day' | 'month', ancestor: { id: string; path: string }, at: string, dim: (typeof ROLLUP_DIMS)[number], value: string, segment: string, guard: FoldState) {
  const tenantId = t.tenantId;
  const col = sql.raw(`r.${DIM_COLUMNS[dim]}`);
  const [table, from, to] = level === 'day' ? ['rollup_dim_days', at, at] : ['rollup_dim_months', `${at}-01`, `${at}-31`];
  const atCol = sql.raw(level);
  return [
    t.run(
      sql`delete from ${sql.raw(table)} where tenant_id = ${tenantId} and ancestor_id = ${ancestor.id} and ${atCol} = ${at} and dim = ${dim} and value = ${value} and segment = ${segment} and ${guarded(tenantId, guard)}`,
    ),
    t.run(sql`insert into ${sql.raw(table)} (tenant_id, ancestor_id, ${atCol}, dim, value, segment, ${sql.raw(SUMS.join(', '))})
      select r.tenant_id, ${ancestor.id}, ${at}, ${dim}, ${value}, ${segment}, ${sql.raw(SUMS.map((c) => `sum(r.${c})`).join(', '))}
      from rollups r join units u on u.id = r.unit_id and u.tenant_id = r.tenant_id
      where r.tenant_id = ${tenantId} and r.day between ${from} and ${to} and ${col} = ${value} and r.segment = ${segment}
        and u.path > ${ancestor.path} and u.path < ${`${ancestor.path.slice(0, -1)}0`} and ${guarded(tenantId, guard)}
      group by r.tenant_id`),
  ];
}

/**
 * Recomputes rollup cells from the raw responses up to the watermark: after an exclusion, an
 * inclusion, a reweighting or a late import. Exactly the given cells are rewritten, then the
 * month and branch totals they are part of are rebuilt from them, in the same batch.
 */
export async function recomputeCells(t: TenantDb, keys: CellKey[], attempts = 3): Promise<void> {
  const tenantId = t.tenantId;
  if (keys.length === 0) return;
  if (attempts === 0) throw new Error('rollup recompute kept racing with folds');
  const state = await foldStateOf(t);
  const unique = new Map(keys.map((k) => [cellId(k), k]));
  // Candidates: the same unit, touchpoint, channel, locale and survey version, created within a
  // day and a half of the local day (time zones span ±14 h); the local day is then checked exactly.
  const reads = [...unique.values()].map((k) => {
    const mid = Date.parse(`${k.day}T12:00:00Z`);
    return foldRows(t).where(
      and(
        eq(responses.tenantId, tenantId),
        eq(responses.unitId, k.unitId),
        eq(responses.touchpointId, k.touchpointId),
        eq(responses.channel, k.channel as never),
        eq(responses.locale, k.locale),
        eq(responses.surveyId, k.surveyId),
        eq(responses.surveyVersion, k.surveyVersion),
        sql`coalesce(${responses.segment}, '') = ${k.segment}`,
        sql`coalesce(${responses.vendorId}, '') = ${k.vendorId}`,
        sql`${responses.createdAt} between ${mid - 36 * 3600_000} and ${mid + 36 * 3600_000}`,
        sql`${responses}.rowid <= ${state.seq}`,
      ),
    );
  });
  // The contact totals of every (ancestor, day) the cells lie under: rebuilt from the subtree's
  // answers of that day (the day cells do not carry the contact's attributes).
  const ancestorDays = new Map<string, { ancestor: string; day: string }>();
  const [unitRows, ...read] = (await t.batch([
    t
      .select({ id: units.id, path: units.path })
      .from(units)
      .where(and(eq(units.tenantId, tenantId), inArray(units.id, [...new Set(keys.map((k) => k.unitId))]))),
    ...reads,
  ] as unknown as [(typeof reads)[number]])) as unknown as [{ id: string; path: string }[], ...unknown[]];
  const results = read.map(foldRowsOf);
  const pathOf = new Map(unitRows.map((u) => [u.id, u.path]));
  const statements: BatchItem<'sqlite'>[] = [];
  [...unique.entries()].forEach(([id, key], i) => {
    const sums = sumCells(results[i]!).get(id)?.sums;
    statements.push(
      t.run(sql`delete from rollups where tenant_id = ${tenantId} and unit_id = ${key.unitId} and day = ${key.day} and touchpoint_id = ${key.touchpointId}
        and channel = ${key.channel} and segment = ${key.segment} and locale = ${key.locale} and survey_id = ${key.surveyId} and survey_version = ${key.surveyVersion}
        and vendor_id = ${key.vendorId}
        and ${guarded(tenantId, state)}`),
    );
    if (sums) statements.push(...upsert(t, DAY_CELLS, [cellRow({ key, sums })], state));
  });
  const rebuilt = new Set<string>();
  const once = (key: unknown[], build: () => BatchItem<'sqlite'>[]) => {
    const id = JSON.stringify(key);
    if (!rebuilt.has(id)) rebuilt.add(id), statements.push(...build());
  };
  for (const k of unique.values()) {
    const month = k.day.slice(0, 7);
    if (month <= state.closed) once(['m', k.unitId, month, k.segment], () => rebuildMonth(t, k.unitId, month, k.segment, state));
  }
  for (const k of unique.values()) {
    const path = pathOf.get(k.unitId);
    if (!path) continue;
    for (const [ancestor, child] of branchesOf(path)) {
      const node = { id: child, path: pathTo(path, child) };
      once(['bd', ancestor, child, k.day, k.segment], () => rebuildBranch(t, 'day', ancestor, node, k.day, k.segment, state));
      if (k.day.slice(0, 7) <= state.closed) once(['bm', ancestor, child, k.day.slice(0, 7), k.segment], () => rebuildBranch(t, 'month', ancestor, node, k.day.slice(0, 7), k.segment, state));
    }
    const month = k.day.slice(0, 7);
    for (const ancestor of ancestorsOf(path)) {
      const node = { id: ancestor, path: pathTo(path, ancestor) };
      for (const dim of ROLLUP_DIMS) {
        once(['dd', ancestor, k.day, dim, dimValue(k, dim), k.segment], () => rebuildDim(t, 'day', node, k.day, dim, dimValue(k, dim), k.segment, state));
        if (month <= state.closed) once(['dm', ancestor, month, dim, dimValue(k, dim), k.segment], () => rebuildDim(t, 'month', node, month, dim, dimValue(k, dim), k.segment, state));
      }
    }
  }
  for (const k of unique.values()) {
    const path = pathOf.get(k.unitId);
    if (path) for (const ancestor of ancestorsOf(path)) ancestorDays.set(`${ancestor} ${k.day}`, { ancestor, day: k.day });
  }
  statements.push(...(await rebuildContactDims(t, [...ancestorDays.values()], state)));
  await commit(t, statements);
  // Every statement was guarded by the fold state read above: if a fold or a unit move changed
  // it meanwhile, nothing was written, and the cells are recomputed against the new one.
  const after = await foldStateOf(t);
  if (after.seq !== state.seq || after.tree !== state.tree || after.closed !== state.closed) return recomputeCells(t, keys, attempts - 1);
}

/**
 * Rewrites the contact dimension totals of some (ancestor, local day) pairs, and of their months
 * when closed, from the answers strictly below each ancestor that the totals hold (rowid up to
 * `contact_dims_seq`): read here, written by the statements returned, guarded by `state`.
 */
async function rebuildContactDims(t: TenantDb, pairs: { ancestor: string; day: string }[], state: FoldState): Promise<BatchItem<'sqlite'>[]> {
  const tenantId = t.tenantId;
  if (pairs.length === 0 || state.dims === 0) return [];
  const ancestors = await t
    .select({ id: units.id, path: units.path })
    .from(units)
    .where(inArray(units.id, [...new Set(pairs.map((p) => p.ancestor))]));
  const pathOf = new Map(ancestors.map((a) => [a.id, a.path]));
  const found = pairs.filter((p) => pathOf.has(p.ancestor));
  if (found.length === 0) return [];
  const reads = found.map(({ ancestor, day }) => {
    const path = pathOf.get(ancestor)!;
    const start = Date.parse(`${day}T00:00:00Z`);
    return foldRows(t).where(
      and(
        eq(responses.tenantId, tenantId),
        sql`${units.path} > ${path} and ${units.path} < ${`${path.slice(0, -1)}0`}`,
        sql`${responses.createdAt} between ${start - 14 * 3600_000} and ${start + 38 * 3600_000}`,
        sql`${responses}.rowid <= ${state.dims}`,
      ),
    );
  });
  const results = ((await t.batch(reads as unknown as [(typeof reads)[number]])) as unknown[]).map(foldRowsOf);
  const dims = sql.raw(CONTACT_DIMS.map((d) => `'${d}'`).join(', '));
  const statements: BatchItem<'sqlite'>[] = [];
  const months = new Set<string>();
  found.forEach(({ ancestor, day }, i) => {
    // Only the ancestor's own totals of that day: the answers' other ancestors and days are dropped.
    const rows = results[i]!.filter((r) => localDay(r.createdAt, r.timezone) === day);
    statements.push(
      t.run(sql`delete from rollup_dim_days where tenant_id = ${tenantId} and ancestor_id = ${ancestor} and day = ${day} and dim in (${dims}) and ${guarded(tenantId, state)}`),
      ...upsert(t, DIM_DAYS, contactAggregates(rows, '', () => [ancestor]).days, state),
    );
    if (day.slice(0, 7) <= state.closed) months.add(`${ancestor} ${day.slice(0, 7)}`);
  });
  for (const key of months) {
    const [ancestor, month] = key.split(' ') as [string, string];
    statements.push(
      t.run(sql`delete from rollup_dim_months where tenant_id = ${tenantId} and ancestor_id = ${ancestor} and month = ${month} and dim in (${dims}) and ${guarded(tenantId, state)}`),
      t.run(sql`insert into rollup_dim_months (tenant_id, ancestor_id, month, dim, value, segment, ${sql.raw(SUMS.join(', '))})
        select tenant_id, ancestor_id, ${month}, dim, value, segment, ${sql.raw(SUMS.map((c) => `sum(${c})`).join(', '))} from rollup_dim_days
        where tenant_id = ${tenantId} and ancestor_id = ${ancestor} and dim in (${dims}) and day between ${`${month}-01`} and ${`${month}-31`} and ${guarded(tenantId, state)}
        group by tenant_id, ancestor_id, dim, value, segment`),
    );
  }
  return statements;
}

/**
 * A unit moving to a new parent takes its subtree's folded answers from the branches of its old
 * ancestors to those of its new ones: per day and per month, subtracted on the old path and added
 * on the new, computed from the subtree's own day cells and month totals in the same batch as the
 * move. The hierarchy version is bumped, so a fold that read the old paths writes nothing.
 * To run before the subtree's paths are rewritten (it finds the subtree by its old path).
 */
export function moveBranches(t: TenantDb, unit: { id: string; path: string }, newPath: string, now: number): BatchItem<'sqlite'>[] {
  const tenantId = t.tenantId;
  const end = `${unit.path.slice(0, -1)}0`;
  const shift = (ids: string[], sign: 1 | -1) =>
    ids.flatMap((ancestor, i) => {
      const child = ids[i + 1] ?? unit.id;
      // Answers of the moving unit itself are not in its parent's branch to it (child = their unit).
      const own = child === unit.id ? sql`u.path > ${unit.path}` : sql`u.path >= ${unit.path}`;
      return (['day', 'month'] as const).map((level) => {
        const [target, source] = level === 'day' ? ['rollup_branch_days', 'rollups'] : ['rollup_branch_months', 'rollup_months'];
        const col = sql.raw(level);
        return t.run(sql`insert into ${sql.raw(target)} (tenant_id, ancestor_id, ${col}, child_id, segment, ${sql.raw(SUMS.join(', '))})
          select r.tenant_id, ${ancestor}, r.${col}, ${child}, r.segment, ${sql.raw(SUMS.map((c) => `${sign} * sum(r.${c})`).join(', '))}
          from ${sql.raw(source)} r join units u on u.id = r.unit_id and u.tenant_id = r.tenant_id
          where r.tenant_id = ${tenantId} and ${own} and u.path < ${end}
          group by r.tenant_id, r.${col}, r.segment
          on conflict (tenant_id, ancestor_id, ${col}, child_id, segment) do update set ${sql.raw(SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', '))}`);
      });
    });
  // The subtree's answers by dimension leave every old ancestor's totals and join every new one's: every day, and the closed months.
  const shiftDims = (ids: string[], sign: 1 | -1) =>
    ids.flatMap((ancestor) => [
      t.run(sql`insert into rollup_dim_days (tenant_id, ancestor_id, day, dim, value, segment, ${sql.raw(SUMS.join(', '))})
        select r.tenant_id, ${ancestor}, r.day, d.dim, ${dimValueOf('r')}, r.segment, ${sql.raw(SUMS.map((c) => `${sign} * sum(r.${c})`).join(', '))}
        from rollups r join units u on u.id = r.unit_id and u.tenant_id = r.tenant_id cross join ${EACH_DIM}
        where r.tenant_id = ${tenantId} and u.path >= ${unit.path} and u.path < ${end}
        group by r.tenant_id, 3, 4, 5, r.segment
        on conflict (tenant_id, ancestor_id, dim, day, value, segment) do update set ${sql.raw(SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', '))}`),
      t.run(sql`insert into rollup_dim_months (tenant_id, ancestor_id, month, dim, value, segment, ${sql.raw(SUMS.join(', '))})
        select r.tenant_id, ${ancestor}, substr(r.day, 1, 7), d.dim, ${dimValueOf('r')}, r.segment, ${sql.raw(SUMS.map((c) => `${sign} * sum(r.${c})`).join(', '))}
        from rollups r join units u on u.id = r.unit_id and u.tenant_id = r.tenant_id cross join ${EACH_DIM}
        where r.tenant_id = ${tenantId} and u.path >= ${unit.path} and u.path < ${end}
          and substr(r.day, 1, 7) <= (select months_closed_through from rollup_watermarks where tenant_id = ${tenantId})
        group by r.tenant_id, 3, 4, 5, r.segment
        on conflict (tenant_id, ancestor_id, month, dim, value, segment) do update set ${sql.raw(SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', '))}`),
    ]);
  const oldChain = idsOf(unit.path).slice(0, -1);
  const newChain = idsOf(newPath).slice(0, -1);
  const touched = [...new Set([...oldChain, ...newChain])];
  return [
    ...shift(oldChain, -1),
    ...shift(newChain, 1),
    ...shiftDims(oldChain, -1),
    ...shiftDims(newChain, 1),
    // Totals emptied by the move (all counts zero) go; their weights are zero up to rounding.
    ...['rollup_branch_days', 'rollup_branch_months', 'rollup_dim_days', 'rollup_dim_months'].map((table) =>
      t.run(
        sql`delete from ${sql.raw(table)} where tenant_id = ${tenantId} and ancestor_id in (${sql.join(
          touched.map((a) => sql`${a}`),
          sql`, `,
        )}) and promoters = 0 and passives = 0 and detractors = 0`,
      ),
    ),
    // The contact totals (kept per ancestor from the answers, not per unit) are rebuilt by the fold
    // from the first answer, batch by batch; the contact cuts read the answers meanwhile.
    t.run(sql`delete from rollup_dim_days where tenant_id = ${tenantId} and dim in (${sql.raw(CONTACT_DIMS.map((d) => `'${d}'`).join(', '))})`),
    t.run(sql`delete from rollup_dim_months where tenant_id = ${tenantId} and dim in (${sql.raw(CONTACT_DIMS.map((d) => `'${d}'`).join(', '))})`),
    t.run(sql`insert into rollup_watermarks (tenant_id, response_seq, folded_at, tree_version) values (${tenantId}, 0, ${now}, 1)
      on conflict (tenant_id) do update set tree_version = tree_version + 1, contact_dims_seq = 0`),
  ];
}

/** The cell an answer falls into. */
export function cellOf(row: Omit<FoldRow, 'seq' | 'score' | 'counted' | 'lifetimeValue' | 'path' | 'vendorId' | keyof ContactAttributes> & { vendorId: string | null }): CellKey {
  return {
    unitId: row.unitId,
    day: localDay(row.createdAt, row.timezone),
    touchpointId: row.touchpointId,
    channel: row.channel,
    segment: row.segment,
    locale: row.locale,
    surveyId: row.surveyId,
    surveyVersion: row.surveyVersion,
    vendorId: row.vendorId ?? '',
  };
}

/** How many folds of one tenant a tick may run (each up to FOLD_BATCH answers). */
const FOLDS_PER_TICK = 20;

/** The last month every time zone has left (local times run from UTC−12 to UTC+14): a margin of 14 h. */
export function lastClosedMonth(now: number): string {
  const d = new Date(now - 14 * 3600_000);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/**
 * Builds the month totals and branch months of the months that closed since the last call, from
 * the day cells and branch days, in one batch that also advances the tenant's marker (guarded
 * like a fold, so a fold that read the old marker writes nothing and runs again). From then on
 * the fold adds late answers of those months to the month rows itself.
 */
export async function closeMonths(t: TenantDb, now: number): Promise<string | null> {
  const tenantId = t.tenantId;
  const state = await foldStateOf(t);
  const through = lastClosedMonth(now);
  if (state.closed >= through) return null;
  const after = state.closed ? `${state.closed}-31` : '';
  const last = `${through}-31`;
  const sums = sql.raw(SUMS.map((c) => `sum(${c})`).join(', '));
  const cols = sql.raw(SUMS.join(', '));
  const replace = sql.raw(SUMS.map((c) => `${c} = excluded.${c}`).join(', '));
  await commit(t, [
    t.run(sql`insert into rollup_months (tenant_id, unit_id, month, segment, ${cols})
      select tenant_id, unit_id, substr(day, 1, 7), segment, ${sums} from rollups
      where tenant_id = ${tenantId} and day > ${after} and day <= ${last} and ${guarded(tenantId, state)}
      group by tenant_id, unit_id, substr(day, 1, 7), segment
      on conflict (tenant_id, unit_id, month, segment) do update set ${replace}`),
    t.run(sql`insert into rollup_branch_months (tenant_id, ancestor_id, month, child_id, segment, ${cols})
      select tenant_id, ancestor_id, substr(day, 1, 7), child_id, segment, ${sums} from rollup_branch_days
      where tenant_id = ${tenantId} and day > ${after} and day <= ${last} and ${guarded(tenantId, state)}
      group by tenant_id, ancestor_id, substr(day, 1, 7), child_id, segment
      on conflict (tenant_id, ancestor_id, month, child_id, segment) do update set ${replace}`),
    t.run(sql`insert into rollup_dim_months (tenant_id, ancestor_id, month, dim, value, segment, ${cols})
      select tenant_id, ancestor_id, substr(day, 1, 7), dim, value, segment, ${sums} from rollup_dim_days
      where tenant_id = ${tenantId} and day > ${after} and day <= ${last} and ${guarded(tenantId, state)}
      group by tenant_id, ancestor_id, substr(day, 1, 7), dim, value, segment
      on conflict (tenant_id, ancestor_id, month, dim, value, segment) do update set ${replace}`),
    t.run(sql`update rollup_watermarks set months_closed_through = ${through} where tenant_id = ${tenantId} and ${guarded(tenantId, state)}`),
  ]);
  return through;
}

/** Folds every tenant with new answers (or contact totals to rebuild); a tenant with a large backlog continues next tick. Then closes finished months. */
export async function foldAll(db: Db, now: number): Promise<void> {
  // The tenants of the answers past the fold's mark while it holds; without one, each tenant's
  // answers past its watermark (a walk over the tenants). A CROSS JOIN keeps its left side the
  // outer loop: an empty one (the mark held, or not) ends the branch before it reads a row.
  // And the tenants whose contact totals are being rebuilt, through the index on that comparison.
  const pending = await db.all<{ tenant_id: string }>(
    sql`select distinct p.tenant_id from (${heldFoldMark}) k cross join responses p where p.rowid > k.seq
      union
      select t.id from (select 1 where not exists (${heldFoldMark})) g cross join tenants t
        where exists (select 1 from responses r where r.tenant_id = t.id and r.rowid > coalesce((select response_seq from rollup_watermarks w where w.tenant_id = t.id), 0))
      union
      select tenant_id from rollup_watermarks where (contact_dims_seq < response_seq) = 1`,
  );
  for (const { tenant_id: tenantId } of pending) {
    for (let i = 0; i < FOLDS_PER_TICK; i++) {
      if ((await foldTenant(new TenantDb(db, tenantId), now)).folded < FOLD_BATCH) break;
    }
  }
  const due = await db
    .select({ tenantId: rollupWatermarks.tenantId })
    .from(rollupWatermarks)
    .where(sql`${rollupWatermarks.monthsClosedThrough} < ${lastClosedMonth(now)}`);
  for (const { tenantId } of due) await closeMonths(new TenantDb(db, tenantId), now);
}
