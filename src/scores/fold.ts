import { and, eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { commit, type Db } from '../db/client';
import { responses, rollups, rollupWatermarks, units } from '../db/schema';
import { categorize, type Tally } from '../scoring/nps';
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
}

/** A cell's sums are a tally of the scoring module, with lifetime values as weights. */
type CellSums = Tally;

/** An answer as the rollups see it. */
export interface FoldRow extends Omit<CellKey, 'day'> {
  seq: number;
  createdAt: number;
  timezone: string;
  score: number | null;
  counted: boolean;
  lifetimeValue: number | null;
}

const cellId = (k: CellKey) => JSON.stringify([k.unitId, k.day, k.touchpointId, k.channel, k.segment, k.locale, k.surveyId, k.surveyVersion]);

/** The lifetime-value weight of an answer: its contact's value then; none (0) when unknown. */
const ltvWeight = (v: number | null) => (v !== null && Number.isFinite(v) && v > 0 ? v : 0);

/** Sums answers into cells; only counted answers with a score add anything. */
export function sumCells(rows: FoldRow[]): Map<string, { key: CellKey; sums: CellSums }> {
  const cells = new Map<string, { key: CellKey; sums: CellSums }>();
  for (const r of rows) {
    if (!r.counted || r.score === null) continue;
    const key: CellKey = { unitId: r.unitId, day: localDay(r.createdAt, r.timezone), touchpointId: r.touchpointId, channel: r.channel, segment: r.segment, locale: r.locale, surveyId: r.surveyId, surveyVersion: r.surveyVersion };
    const id = cellId(key);
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = { key, sums: { promoters: 0, passives: 0, detractors: 0, w: 0, w2: 0, wPromoters: 0, wDetractors: 0 } }));
    const category = categorize(r.score);
    const w = ltvWeight(r.lifetimeValue);
    const s = cell.sums;
    s.w += w;
    s.w2 += w * w;
    if (category === 'promoter') {
      s.promoters++;
      s.wPromoters += w;
    } else if (category === 'detractor') {
      s.detractors++;
      s.wDetractors += w;
    } else s.passives++;
  }
  return cells;
}

/** Responses of a tenant as fold rows, in insertion order, with their unit's time zone. */
export function foldRows(db: Db, tenantId: string) {
  return db
    .select({
      seq: sql<number>`${responses}.rowid`.as('seq'),
      unitId: responses.unitId,
      createdAt: responses.createdAt,
      timezone: units.timezone,
      touchpointId: responses.touchpointId,
      channel: responses.channel,
      segment: sql<string>`coalesce(${responses.segment}, '')`.as('segment'),
      locale: responses.locale,
      surveyId: responses.surveyId,
      surveyVersion: responses.surveyVersion,
      score: responses.score,
      counted: responses.counted,
      lifetimeValue: responses.lifetimeValue,
    })
    .from(responses)
    .innerJoin(units, and(eq(units.id, responses.unitId), eq(units.tenantId, responses.tenantId)))
    .where(eq(responses.tenantId, tenantId))
    .$dynamic();
}

/** The fold watermark of a tenant: the highest response rowid already in the rollups. */
export async function watermarkOf(db: Db, tenantId: string): Promise<number> {
  const [row] = await db.select({ seq: rollupWatermarks.responseSeq }).from(rollupWatermarks).where(eq(rollupWatermarks.tenantId, tenantId));
  return row?.seq ?? 0;
}

/** Rows per multi-row upsert: 16 values a row stays far below SQLite's 32,766 parameters. */
const UPSERT_ROWS = 500;

/**
 * Adds sums to day cells: one multi-row upsert per 500 cells, so a fold costs a few statements,
 * not one per cell. INSERT … SELECT … WHERE: every statement checks that the watermark is still
 * the one this fold started from, so two overlapping folds cannot count the same answers twice.
 */
function addCells(db: Db, tenantId: string, cells: { key: CellKey; sums: CellSums }[], guard: number) {
  const statements = [];
  for (let i = 0; i < cells.length; i += UPSERT_ROWS) {
    const rows = cells.slice(i, i + UPSERT_ROWS).map(({ key: k, sums: s }) => sql`(${k.unitId}, ${k.day}, ${k.touchpointId}, ${k.channel}, ${k.segment}, ${k.locale}, ${k.surveyId}, ${k.surveyVersion}, ${s.promoters}, ${s.passives}, ${s.detractors}, ${s.w}, ${s.w2}, ${s.wPromoters}, ${s.wDetractors})`);
    statements.push(
      db.run(sql`insert into rollups (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, promoters, passives, detractors, w, w2, w_promoters, w_detractors)
        select ${tenantId}, * from (values ${sql.join(rows, sql`, `)})
        where ${guarded(tenantId, guard)}
        on conflict (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version) do update set
          promoters = promoters + excluded.promoters, passives = passives + excluded.passives, detractors = detractors + excluded.detractors,
          w = w + excluded.w, w2 = w2 + excluded.w2, w_promoters = w_promoters + excluded.w_promoters, w_detractors = w_detractors + excluded.w_detractors`),
    );
  }
  return statements;
}

const guarded = (tenantId: string, guard: number) => sql`coalesce((select response_seq from rollup_watermarks where tenant_id = ${tenantId}), 0) = ${guard}`;

/** Adds sums to month totals per unit and segment, in multi-row upserts guarded like the day cells. */
function addMonths(db: Db, tenantId: string, months: { unitId: string; month: string; segment: string; sums: CellSums }[], guard: number) {
  const statements = [];
  for (let i = 0; i < months.length; i += UPSERT_ROWS) {
    const rows = months.slice(i, i + UPSERT_ROWS).map(({ unitId, month, segment, sums: s }) => sql`(${unitId}, ${month}, ${segment}, ${s.promoters}, ${s.passives}, ${s.detractors}, ${s.w}, ${s.w2}, ${s.wPromoters}, ${s.wDetractors})`);
    statements.push(
      db.run(sql`insert into rollup_months (tenant_id, unit_id, month, segment, promoters, passives, detractors, w, w2, w_promoters, w_detractors)
        select ${tenantId}, * from (values ${sql.join(rows, sql`, `)})
        where ${guarded(tenantId, guard)}
        on conflict (tenant_id, unit_id, month, segment) do update set
          promoters = promoters + excluded.promoters, passives = passives + excluded.passives, detractors = detractors + excluded.detractors,
          w = w + excluded.w, w2 = w2 + excluded.w2, w_promoters = w_promoters + excluded.w_promoters, w_detractors = w_detractors + excluded.w_detractors`),
    );
  }
  return statements;
}

/** Rewrites a unit's month total for a segment as the sum of its day cells (after a correction). */
const rebuildMonth = (db: Db, tenantId: string, unitId: string, month: string, segment: string, guard: number) => [
  db.run(sql`delete from rollup_months where tenant_id = ${tenantId} and unit_id = ${unitId} and month = ${month} and segment = ${segment} and ${guarded(tenantId, guard)}`),
  db.run(sql`insert into rollup_months (tenant_id, unit_id, month, segment, promoters, passives, detractors, w, w2, w_promoters, w_detractors)
    select tenant_id, unit_id, ${month}, segment, sum(promoters), sum(passives), sum(detractors), sum(w), sum(w2), sum(w_promoters), sum(w_detractors)
    from rollups where tenant_id = ${tenantId} and unit_id = ${unitId} and segment = ${segment} and day between ${`${month}-01`} and ${`${month}-31`} and ${guarded(tenantId, guard)}
    group by tenant_id, unit_id, segment`),
];

/** The month totals of a set of cells, keyed by unit, month and segment. */
function monthTotals(cells: Iterable<{ key: CellKey; sums: CellSums }>) {
  const months = new Map<string, { unitId: string; month: string; segment: string; sums: CellSums }>();
  for (const { key, sums } of cells) {
    const id = JSON.stringify([key.unitId, key.day.slice(0, 7), key.segment]);
    const m = months.get(id);
    if (!m) months.set(id, { unitId: key.unitId, month: key.day.slice(0, 7), segment: key.segment, sums: { ...sums } });
    else for (const f of ['promoters', 'passives', 'detractors', 'w', 'w2', 'wPromoters', 'wDetractors'] as const) m.sums[f] += sums[f];
  }
  return months.values();
}

/**
 * Folds a tenant's responses past its watermark into the rollups, in one atomic batch with the
 * new watermark. Running it again finds nothing new: idempotent. Answers not counted or not yet
 * scored are passed over; changes to them later are corrections (`recomputeCells`).
 */
export async function foldTenant(db: Db, tenantId: string, now: number): Promise<{ folded: number; watermark: number }> {
  const from = await watermarkOf(db, tenantId);
  const rows = (await foldRows(db, tenantId)
    .where(and(eq(responses.tenantId, tenantId), sql`${responses}.rowid > ${from}`))
    .orderBy(sql`${responses}.rowid`)
    .limit(FOLD_BATCH)) as FoldRow[];
  if (rows.length === 0) return { folded: 0, watermark: from };
  const to = rows[rows.length - 1]!.seq;
  const cells = sumCells(rows);
  const statements: BatchItem<'sqlite'>[] = [...addCells(db, tenantId, [...cells.values()], from), ...addMonths(db, tenantId, [...monthTotals(cells.values())], from)];
  statements.push(
    db
      .insert(rollupWatermarks)
      .values({ tenantId, responseSeq: to, foldedAt: now })
      .onConflictDoUpdate({ target: rollupWatermarks.tenantId, set: { responseSeq: to, foldedAt: now }, setWhere: sql`${rollupWatermarks.responseSeq} = ${from}` }),
  );
  await commit(db, statements);
  return { folded: rows.length, watermark: to };
}

/**
 * Recomputes rollup cells from the raw responses up to the watermark: after an exclusion, an
 * inclusion, a reweighting or a late import. Exactly the given cells are rewritten.
 */
export async function recomputeCells(db: Db, tenantId: string, keys: CellKey[], attempts = 3): Promise<void> {
  if (keys.length === 0) return;
  if (attempts === 0) throw new Error('rollup recompute kept racing with folds');
  const watermark = await watermarkOf(db, tenantId);
  const unique = new Map(keys.map((k) => [cellId(k), k]));
  // Candidates: the same unit, touchpoint, channel, locale and survey version, created within a
  // day and a half of the local day (time zones span ±14 h); the local day is then checked exactly.
  const reads = [...unique.values()].map((k) => {
    const mid = Date.parse(`${k.day}T12:00:00Z`);
    return foldRows(db, tenantId).where(
      and(
        eq(responses.tenantId, tenantId),
        eq(responses.unitId, k.unitId),
        eq(responses.touchpointId, k.touchpointId),
        eq(responses.channel, k.channel as never),
        eq(responses.locale, k.locale),
        eq(responses.surveyId, k.surveyId),
        eq(responses.surveyVersion, k.surveyVersion),
        sql`coalesce(${responses.segment}, '') = ${k.segment}`,
        sql`${responses.createdAt} between ${mid - 36 * 3600_000} and ${mid + 36 * 3600_000}`,
        sql`${responses}.rowid <= ${watermark}`,
      ),
    );
  });
  const results = (await db.batch(reads as unknown as [typeof reads[number]])) as unknown as FoldRow[][];
  const statements: BatchItem<'sqlite'>[] = [];
  [...unique.entries()].forEach(([id, key], i) => {
    const sums = sumCells(results[i]!).get(id)?.sums;
    statements.push(
      db.run(sql`delete from rollups where tenant_id = ${tenantId} and unit_id = ${key.unitId} and day = ${key.day} and touchpoint_id = ${key.touchpointId}
        and channel = ${key.channel} and segment = ${key.segment} and locale = ${key.locale} and survey_id = ${key.surveyId} and survey_version = ${key.surveyVersion}
        and ${guarded(tenantId, watermark)}`),
    );
    if (sums) statements.push(...addCells(db, tenantId, [{ key, sums }], watermark));
  });
  const months = new Map([...unique.values()].map((k) => [JSON.stringify([k.unitId, k.day.slice(0, 7), k.segment]), k]));
  for (const k of months.values()) statements.push(...rebuildMonth(db, tenantId, k.unitId, k.day.slice(0, 7), k.segment, watermark));
  await commit(db, statements);
  // Every statement was guarded by the watermark read above: if a fold moved it meanwhile,
  // nothing was written, and the cells are recomputed against the new one.
  if ((await watermarkOf(db, tenantId)) !== watermark) return recomputeCells(db, tenantId, keys, attempts - 1);
}

/** The cell an answer falls into. */
export function cellOf(row: Omit<FoldRow, 'seq' | 'score' | 'counted' | 'lifetimeValue'>): CellKey {
  return { unitId: row.unitId, day: localDay(row.createdAt, row.timezone), touchpointId: row.touchpointId, channel: row.channel, segment: row.segment, locale: row.locale, surveyId: row.surveyId, surveyVersion: row.surveyVersion };
}

/** How many folds of one tenant a tick may run (each up to FOLD_BATCH answers). */
const FOLDS_PER_TICK = 20;

/** Folds every tenant with new answers; a tenant with a large backlog continues next tick. */
export async function foldAll(db: Db, now: number): Promise<void> {
  const pending = await db.all<{ tenant_id: string }>(
    sql`select t.id as tenant_id from tenants t where exists (select 1 from responses r where r.tenant_id = t.id and r.rowid > coalesce((select response_seq from rollup_watermarks w where w.tenant_id = t.id), 0))`,
  );
  for (const { tenant_id: tenantId } of pending) {
    for (let i = 0; i < FOLDS_PER_TICK; i++) {
      if ((await foldTenant(db, tenantId, now)).folded < FOLD_BATCH) break;
    }
  }
}
