import { and, eq, sql } from 'drizzle-orm';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { driverResults, responses, touchpoints, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Env } from '../env';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { answersWithFacts, eventFact, numericQuestions, questionFact } from '../measures/answer-facts';
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

/** How many answers the scope has and the highest rowid among them: new or imported answers change it (index only). */
async function scopeStamp(t: TenantDb, s: DriversScope): Promise<{ count: number; stamp: string }> {
  const days = await createdOnLocalDays(t, [s.path], s.from, s.to);
  const [row] = await t
    .select({ n: sql<number>`count(*)`, seq: sql<number | null>`max(${responses}.rowid)` })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .where(and(inSubtree(s.path), days, s.touchpointId ? eq(responses.touchpointId, s.touchpointId) : undefined));
  const count = Number(row?.n ?? 0);
  return { count, stamp: `${count}:${row?.seq ?? 0}` };
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
  const result = await computeDrivers(t, scope);
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
  const { stamp } = await scopeStamp(t, scope);
  if (kept?.status === 'ready' && kept.stamp === stamp) return;
  await keep(t, key, stamp, await computeDrivers(t, scope));
}

interface Predictor {
  driver: string;
  kind: 'measure' | 'question';
}

/** Reads the scope's answers with their facts and computes the relative weights. */
export async function computeDrivers(t: TenantDb, scope: DriversScope): Promise<DriversResult> {
  const computedAt = new Date().toISOString();
  const [measureRows, questionIds] = await Promise.all([eventMeasures(t), numericQuestions(t, scope.surveyId)]);
  const candidates: Predictor[] = [...measureRows.map((m) => ({ driver: m.key, kind: 'measure' as const })), ...questionIds.map((id) => ({ driver: id, kind: 'question' as const }))];
  const suppressed = (reason: SuppressedReason, n: number): DriversResult => ({ n, r2: null, method: 'johnson-relative-weights', items: [], suppressed: true, suppressedReason: reason, computedAt });
  if (candidates.length === 0) return suppressed('no_predictors', 0);

  const fields: Record<string, ReturnType<typeof eventFact>> = {};
  candidates.forEach((c, i) => {
    fields[`p${i}`] = c.kind === 'measure' ? eventFact(c.driver) : questionFact(c.driver);
  });
  const { query } = await answersWithFacts(t, scope, { score: sql<number>`${responses.score}`, ...fields, count: sql<number>`count(*)` });
  // Answers with the same score and facts come as one row with their count: what leaves the
  // database follows the distinct combinations, not the answers (relative weights and their
  // resampling depend on the multiset of answers only). Ordered, so the table is the same every time.
  const columns = sql.raw(Array.from({ length: candidates.length + 1 }, (_, i) => i + 1).join(', '));
  const groups = (await query.groupBy(columns).orderBy(columns)) as Record<string, number | null>[];

  // Predictors present on enough answers enter; the analysis uses the answers that have all of them.
  const answers = groups.reduce((a, g) => a + Number(g.count), 0);
  const present = candidates.map((_, i) => groups.reduce((a, g) => a + (g[`p${i}`] === null ? 0 : Number(g.count)), 0));
  const chosen = candidates.flatMap((c, i) => (answers > 0 && present[i]! / answers >= MIN_COVERAGE ? [{ ...c, column: `p${i}` }] : []));
  if (chosen.length === 0) return suppressed('no_predictors', 0);
  const complete = groups.filter((g) => chosen.every((c) => g[c.column] !== null));
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
      return { driver: c.driver, kind: c.kind, weight: e.weight, share: e.share, ci: e.ci, significant: e.significant, correlation: e.correlation };
    })
    .sort((a, b) => b.weight - a.weight || a.driver.localeCompare(b.driver));
  return { n, r2: analysis.r2, method: 'johnson-relative-weights', items, suppressed: false, computedAt };
}
