import { and, eq, sql } from 'drizzle-orm';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { commentAnalyses, driverResults, responses, themeLibrary, themeLibraryState, touchpoints, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Env } from '../env';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { inScope, periodScope } from '../comments/counts';
import { answersWithFacts, eventFact, numericQuestions, questionFact, themeFact } from '../measures/answer-facts';
import { eventMeasures } from '../measures/measures';
import { inSubtree } from '../org/units';
import { createdOnLocalDays } from '../responses/local-range';
import { localDay } from '../scores/local-day';
import { analyseDrivers, constantColumns } from './relative-weights';

/*
 * Key drivers of the 0–10 score (docs/drivers.md): Johnson's relative weights of the event
 * measures and the numeric follow-up questions, on the answers where every predictor is present,
 * with seeded bootstrap intervals. Results are kept per query until new answers arrive in its
 * scope; a large scope is computed by a queue job.
 */

/** Fewer complete answers than this: suppressed. */
export const MIN_COMPLETE = 100;
/** A predictor enters when at least this share of the scope's answers has it. */
export const MIN_COVERAGE = 0.5;
/**
 * A theme enters when at least this many of the complete answers' comments mention it and at least
 * this many do not: a 0/1 predictor with a smaller group has an unstable correlation, and a
 * bootstrap resample could leave it constant.
 */
export const MIN_THEME_GROUP = 20;
/** Scopes with more answers than this are computed by a queue job (DRIVERS_INLINE_MAX overrides). */
export const INLINE_MAX = 50_000;
/** A pending job older than this is presumed lost and enqueued again. */
const PENDING_MS = 10 * 60_000;
export const DRIVER_SEED = 20_000_101;
const DAY_MS = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

export type SuppressedReason = 'below_min_n' | 'no_predictors' | 'constant_predictor' | 'constant_outcome' | 'collinear_predictors';

export interface DriverItem {
  driver: string;
  kind: 'measure' | 'question' | 'theme';
  /** A theme's name in the library (theme items only; `driver` is its id). */
  name?: string;
  weight: number;
  share: number;
  ci: { low: number; high: number };
  significant: boolean;
  correlation: number;
}

export interface DriversResult {
  n: number;
  r2: number | null;
  method: 'johnson-relative-weights';
  items: DriverItem[];
  suppressed: boolean;
  suppressedReason?: SuppressedReason;
  computedAt: string;
}

export interface DriversScope {
  unitId: string;
  path: string;
  from: string;
  to: string;
  touchpointId?: string;
  surveyId?: string;
}

export interface DriversQuery {
  unitId?: string;
  from?: string;
  to?: string;
  touchpointId?: string;
}

/** The message of a large scope's computation on the workflow queue. */
export interface DriversComputeMessage {
  type: 'drivers.compute';
  tenantId: string;
  idempotencyKey: string;
  unitId: string;
  from: string;
  to: string;
  touchpointId?: string;
  stamp: string;
}

const cacheKey = (s: Pick<DriversScope, 'unitId' | 'from' | 'to' | 'touchpointId'>) => `${s.unitId}|${s.from}|${s.to}|${s.touchpointId ?? ''}`;

/**
 * The stamp of a scope's inputs, read by index seeks without reading answers or analyses: how many
 * answers it has and the highest rowid among them (new or imported answers change it); the
 * tenant's newest comment analysis (a comment analysed after its answer, the backfill); the theme
 * library's version and how many analyses of the tenant still wait for their re-tag (an edit, then
 * the re-tag's progress and end).
 */
async function scopeStamp(t: TenantDb, s: DriversScope): Promise<{ count: number; stamp: string }> {
  const days = await createdOnLocalDays(t, [s.path], s.from, s.to);
  const [[row], [analyses], [state]] = await t.batch([
    t
      .select({ n: sql<number>`count(*)`, seq: sql<number | null>`max(${responses}.rowid)` })
      .from(responses)
      .innerJoin(units, eq(units.id, responses.unitId))
      .where(and(inSubtree(s.path), days, s.touchpointId ? eq(responses.touchpointId, s.touchpointId) : undefined)),
    t.select({ top: sql<number | null>`max(${commentAnalyses}.rowid)` }).from(commentAnalyses),
    t.select({ version: themeLibraryState.version }).from(themeLibraryState),
  ]);
  const version = state?.version ?? 0;
  const [stale] = await t.select({ n: sql<number>`count(*)` }).from(commentAnalyses).where(sql`${commentAnalyses.libraryVersion} < ${version}`);
  const count = Number(row?.n ?? 0);
  return { count, stamp: `${count}:${row?.seq ?? 0}:${analyses?.top ?? 0}:${version}:${Number(stale?.n ?? 0)}` };
}

/** Analysed comments of counted, scored answers of the scope's units and range (any touchpoint: at least those of the scope), from the analyses' covering index. */
async function analysedInScope(t: TenantDb, s: DriversScope): Promise<number> {
  const period = await periodScope(t, s.path, s.from, s.to);
  // The range alone (the "period before" of the themes query is left out).
  const current = { ...period, start: period.split, zones: period.zones?.map((z) => ({ ...z, start: z.split })) };
  const [row] = await t.select({ n: sql<number>`count(*)` }).from(commentAnalyses).where(inScope(t, current));
  return Number(row?.n ?? 0);
}

/** The scope of a query the caller may read: its unit in reach with score.read, an existing touchpoint; default the 90 days to the unit's today. */
async function resolveScope(d: Deps, q: DriversQuery): Promise<DriversScope> {
  const { t, actor } = d;
  const [unit] = q.unitId ? await t.select().from(units).where(eq(units.id, q.unitId)) : await t.select().from(units).where(sql`${units.parentId} is null`);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  let surveyId: string | undefined;
  if (q.touchpointId) {
    const [tp] = await t.select({ surveyId: touchpoints.surveyId }).from(touchpoints).where(eq(touchpoints.id, q.touchpointId));
    if (!tp) throw notFound('touchpoint');
    surveyId = tp.surveyId;
  }
  const to = q.to ?? localDay(Date.now(), unit.timezone);
  const from = q.from ?? addDays(to, -89);
  if (from > to) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.from', message: 'must not be after `to`' }]);
  return { unitId: unit.id, path: unit.path, from, to, touchpointId: q.touchpointId, surveyId };
}

/**
 * GET /api/v1/drivers: the kept result while the scope has no new answers; else computed now, or
 * for a scope over the inline limit handed to a queue job (then `{ pending }`, ask again).
 */
export async function keyDrivers(d: Deps, q: DriversQuery): Promise<{ pending: false; result: DriversResult } | { pending: true; retryAfterSeconds: number }> {
  const { t } = d;
  const scope = await resolveScope(d, q);
  const key = cacheKey(scope);
  const [{ count, stamp }, [kept]] = await Promise.all([scopeStamp(t, scope), t.select().from(driverResults).where(eq(driverResults.key, key))]);
  if (kept && kept.stamp === stamp) {
    if (kept.status === 'ready' && kept.result) return { pending: false, result: kept.result as unknown as DriversResult };
    if (kept.status === 'pending' && Date.now() - kept.updatedAt < PENDING_MS) return { pending: true, retryAfterSeconds: 5 };
  }
  const inlineMax = Number(d.env.DRIVERS_INLINE_MAX ?? INLINE_MAX);
  if (count > inlineMax) {
    await enqueueCompute(d.env, t, { ...scope, stamp, tenantId: d.actor.tenantId });
    return { pending: true, retryAfterSeconds: 5 };
  }
  const result = await computeDrivers(t, scope, count);
  await keep(t, key, stamp, result);
  return { pending: false, result };
}

async function enqueueCompute(env: Env, t: TenantDb, s: DriversScope & { stamp: string; tenantId: string }) {
  const now = Date.now();
  const key = cacheKey(s);
  await t
    .insert(driverResults)
    .values({ key, status: 'pending', stamp: s.stamp, result: null, computedAt: null, updatedAt: now })
    .onConflictDoUpdate({ target: [driverResults.tenantId, driverResults.key], set: { status: 'pending', stamp: s.stamp, updatedAt: now } });
  if (!env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
  const message: DriversComputeMessage = {
    type: 'drivers.compute',
    tenantId: s.tenantId,
    idempotencyKey: `drivers.compute:${key}:${s.stamp}`,
    unitId: s.unitId,
    from: s.from,
    to: s.to,
    ...(s.touchpointId ? { touchpointId: s.touchpointId } : {}),
    stamp: s.stamp,
  };
  await env.WORKFLOW_QUEUE.send(message);
}

/** Keeps a result for its query and stamp. */
function keep(t: TenantDb, key: string, stamp: string, result: DriversResult) {
  const now = Date.now();
  return commit(t, [
    t
      .insert(driverResults)
      .values({ key, status: 'ready', stamp, result: result as unknown as Record<string, unknown>, computedAt: Date.parse(result.computedAt), updatedAt: now })
      .onConflictDoUpdate({
        target: [driverResults.tenantId, driverResults.key],
        set: { status: 'ready', stamp, result: result as unknown as Record<string, unknown>, computedAt: Date.parse(result.computedAt), updatedAt: now },
      }),
  ]);
}

/**
 * The queue job of a large scope: computes and keeps the result. Idempotent: a result already
 * kept for the same stamp is left as it is; a scope that changed since is computed afresh.
 */
export async function computeDriversJob(t: TenantDb, m: DriversComputeMessage): Promise<void> {
  const [unit] = await t.select().from(units).where(eq(units.id, m.unitId));
  if (!unit) return;
  let surveyId: string | undefined;
  if (m.touchpointId) surveyId = (await t.select({ surveyId: touchpoints.surveyId }).from(touchpoints).where(eq(touchpoints.id, m.touchpointId)))[0]?.surveyId;
  const scope: DriversScope = { unitId: unit.id, path: unit.path, from: m.from, to: m.to, touchpointId: m.touchpointId, surveyId };
  const key = cacheKey(scope);
  const [kept] = await t.select().from(driverResults).where(eq(driverResults.key, key));
  const { count, stamp } = await scopeStamp(t, scope);
  if (kept?.status === 'ready' && kept.stamp === stamp) return;
  await keep(t, key, stamp, await computeDrivers(t, scope, count));
}

interface Predictor {
  driver: string;
  kind: 'measure' | 'question' | 'theme';
  name?: string;
}

/** Reads the scope's answers with their facts and computes the relative weights. */
export async function computeDrivers(t: TenantDb, scope: DriversScope, answersInScope?: number): Promise<DriversResult> {
  const computedAt = new Date().toISOString();
  const [measureRows, questionIds, themeRows] = await Promise.all([
    eventMeasures(t),
    numericQuestions(t, scope.surveyId),
    t.select({ id: themeLibrary.id, name: themeLibrary.name }).from(themeLibrary).orderBy(themeLibrary.id),
  ]);
  const candidates: Predictor[] = [
    ...measureRows.map((m) => ({ driver: m.key, kind: 'measure' as const })),
    ...questionIds.map((id) => ({ driver: id, kind: 'question' as const })),
    ...themeRows.map((th) => ({ driver: th.id, kind: 'theme' as const, name: th.name })),
  ];
  const suppressed = (reason: SuppressedReason, n: number): DriversResult => ({ n, r2: null, method: 'johnson-relative-weights', items: [], suppressed: true, suppressedReason: reason, computedAt });
  if (candidates.length === 0) return suppressed('no_predictors', 0);

  const fields: Record<string, ReturnType<typeof eventFact>> = {};
  candidates.forEach((c, i) => {
    fields[`p${i}`] = c.kind === 'measure' ? eventFact(c.driver) : c.kind === 'question' ? questionFact(c.driver) : themeFact(c.driver);
  });
  // Answers with the same score and facts come as one row with their count: what leaves the
  // database follows the distinct combinations, not the answers (relative weights and their
  // resampling depend on the multiset of answers only). Ordered, so the table is the same every time.
  const read = async (withThemes: boolean) => {
    const used = withThemes ? candidates : candidates.filter((c) => c.kind !== 'theme');
    const picked: Record<string, ReturnType<typeof eventFact>> = {};
    for (const [i, c] of candidates.entries()) if (used.includes(c)) picked[`p${i}`] = fields[`p${i}`]!;
    const { query } = await answersWithFacts(t, scope, { score: sql<number>`${responses.score}`, ...picked, count: sql<number>`count(*)` }, { analyses: withThemes });
    const columns = sql.raw(Array.from({ length: used.length + 1 }, (_, i) => i + 1).join(', '));
    return (await query.groupBy(columns).orderBy(columns)) as Record<string, number | null>[];
  };
  // Theme presence costs a probe of the analyses per answer: skipped when the analysed comments
  // cannot reach the coverage (fewer than half of the scope's answers, counted or not); read
  // again with them in the rare case where the counted answers turn out few enough.
  const themed = themeRows.length > 0;
  const analysed = themed ? await analysedInScope(t, scope) : 0;
  const total = answersInScope ?? (await scopeStamp(t, scope)).count;
  let withThemes = themed && analysed >= MIN_COVERAGE * total;
  let groups = await read(withThemes);
  if (themed && !withThemes && analysed >= MIN_COVERAGE * groups.reduce((a, g) => a + Number(g.count), 0)) {
    withThemes = true;
    groups = await read(true);
  }
  // A theme column not read is absent on every answer: it does not enter.

  // Predictors present on enough answers enter; the analysis uses the answers that have all of them.
  // A theme is present on the answers with an analysed comment (docs/drivers.md "Theme presence").
  const answers = groups.reduce((a, g) => a + Number(g.count), 0);
  const present = candidates.map((_, i) => groups.reduce((a, g) => a + (g[`p${i}`] == null ? 0 : Number(g.count)), 0));
  const covered = candidates.flatMap((c, i) => (answers > 0 && present[i]! / answers >= MIN_COVERAGE ? [{ ...c, column: `p${i}` }] : []));
  let chosen = covered.filter((c) => c.kind !== 'theme');
  let complete = groups.filter((g) => chosen.every((c) => g[c.column] != null));
  const themes = covered.filter((c) => c.kind === 'theme');
  if (themes.length > 0) {
    // Every theme is present on the same answers (those with an analysed comment).
    const commented = complete.filter((g) => g[themes[0]!.column] != null);
    const mentions = (c: (typeof themes)[number]) => commented.reduce((a, g) => a + (g[c.column] === 1 ? Number(g.count) : 0), 0);
    const total = commented.reduce((a, g) => a + Number(g.count), 0);
    const entering = themes.filter((c) => {
      const m = mentions(c);
      return m >= MIN_THEME_GROUP && total - m >= MIN_THEME_GROUP;
    });
    // No theme mentioned often enough: the model keeps the answers without a comment.
    if (entering.length > 0) {
      chosen = [...chosen, ...entering];
      complete = commented;
    }
  }
  if (chosen.length === 0) return suppressed('no_predictors', 0);
  const n = complete.reduce((a, g) => a + Number(g.count), 0);
  if (n < MIN_COMPLETE) return suppressed('below_min_n', n);

  const k = chosen.length + 1;
  const data = new Float64Array(k * n);
  let row = 0;
  for (const g of complete) {
    for (let c = 0; c < Number(g.count); c++, row++) {
      chosen.forEach((p, j) => {
        data[j * n + row] = Number(g[p.column]);
      });
      data[chosen.length * n + row] = Number(g.score);
    }
  }
  const table = { n, k, data };
  const constant = constantColumns(table);
  if (constant.includes(chosen.length)) return suppressed('constant_outcome', n);
  if (constant.length > 0) return suppressed('constant_predictor', n);
  const analysis = analyseDrivers(table, { seed: DRIVER_SEED });
  if (!analysis) return suppressed('collinear_predictors', n);
  const items = chosen
    .map((c, j) => {
      const e = analysis.drivers[j]!;
      return {
        driver: c.driver,
        kind: c.kind,
        ...(c.name === undefined ? {} : { name: c.name }),
        weight: e.weight,
        share: e.share,
        ci: e.ci,
        significant: e.significant,
        correlation: e.correlation,
      };
    })
    .sort((a, b) => b.weight - a.weight || a.driver.localeCompare(b.driver));
  return { n, r2: analysis.r2, method: 'johnson-relative-weights', items, suppressed: false, computedAt };
}
