import { and, eq, isNull } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import { type Actor, can } from '../auth/policy';
import { commit } from '../db/client';
import { reviewPacks, units } from '../db/schema';
import { computeDrivers, keyDrivers } from '../drivers/drivers';
import { exceptionsLog } from '../governance/exceptions';
import { dataQuality } from '../governance/quality';
import { representativeness } from '../governance/representativeness';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden } from '../lib/errors';
import { newId } from '../lib/ids';
import { reportUnit } from '../org/scope';
import type { Unit } from '../org/units';
import { localDay } from '../scores/local-day';
import { scoresAnswer } from '../scores/report';
import { attainment, correctionsSince } from '../targets/attainment';
import { parsePeriod, shiftPeriod } from '../targets/periods';
import { closingTime } from '../targets/targets';
import { themesReport } from '../themes/report';

/*
 * The quarterly review pack (docs/governance.md "The quarterly review pack"): for a unit and a
 * quarter, the numbers a program review reads, each from its feature's own domain function
 * (scores, drivers, themes, targets, governance; nothing is scored here): the trend by month with
 * intervals, the quarter's score and 0–10 distribution, key drivers, themes, targets and their
 * attainment, representativeness, data quality and the exceptions log.
 *
 * While the quarter runs (and for the grace of late answers after it, as targets close) the pack
 * is computed on each read. Once the quarter has closed, the first read saves it (audited as the
 * system) and every later read answers the saved pack unchanged, with the corrections made since
 * the close listed beside it and today's headline when it differs.
 */

/** The trend covers this many quarters, by month, ending with the reviewed one. */
export const TREND_QUARTERS = 4;
/** Themes kept in the pack, by impact. */
export const PACK_THEMES = 10;
/** Exceptions kept in the pack, newest first. */
export const PACK_EXCEPTIONS = 100;

const QUARTER = /^(\d{4})-Q([1-4])$/;

/** The quarter a path names, or a 422 with the envelope. */
export function parseQuarter(period: string) {
  const p = QUARTER.test(period) ? parsePeriod(period) : null;
  if (!p) throw new ApiError('UNPROCESSABLE', 'the review period is a quarter, YYYY-Qn (e.g. 2026-Q3)', [{ path: 'path.period', message: `"${period}" is not a quarter YYYY-Qn` }]);
  return p;
}

/**
 * Who reads a review pack: the roles that read scores, invitations (representativeness, data
 * quality) and alerts (the exceptions log) on the unit: admins, analysts, managers in their subtree.
 */
export function assertReviewReader(actor: Actor, unit: Unit) {
  if (!can(actor, 'score.read', unit.path) || !can(actor, 'invitation.read', unit.path) || !can(actor, 'alert.read', unit.path))
    throw forbidden('your role does not read the program review of this unit');
}

/**
 * The pack's content does not depend on who reads it (a saved pack is the same for every reader):
 * it is computed as an admin of the whole tenant would read it, on the unit the caller may read,
 * and carries no verbatim comment.
 */
async function asSystem(d: Deps): Promise<Deps> {
  const [root] = await d.t.select().from(units).where(isNull(units.parentId));
  return { ...d, actor: { type: 'user', id: 'system', tenantId: d.actor.tenantId, grants: [{ unitId: root!.id, unitPath: root!.path, role: 'admin' }] } };
}

/** Computes the pack of a unit's quarter now. */
export async function buildPack(d: Deps, unit: Unit, period: ReturnType<typeof parseQuarter>) {
  const sys = await asSystem(d);
  const previous = shiftPeriod(period, 1);
  const first = shiftPeriod(period, TREND_QUARTERS - 1);
  const base = { unitId: unit.id, weight: 'none' as const, confidence: 0.95 };
  const range = { unitId: unit.id, from: period.from, to: period.to };
  const [quarter, trend, drivers, themes, targets, represent, quality, exceptions] = await Promise.all([
    scoresAnswer(sys, { ...base, from: period.from, to: period.to, compare: `${previous.from}..${previous.to}`, distribution: 'true' }),
    scoresAnswer(sys, { ...base, from: first.from, to: period.to, period: 'month' }),
    (async () => {
      const kept = await keyDrivers(sys, range);
      // A large scope is left to a queue job by the API; the pack waits for nothing and computes it here.
      return kept.pending ? computeDrivers(sys.t, { unitId: unit.id, path: unit.path, from: period.from, to: period.to }) : kept.result;
    })(),
    themesReport(sys, range),
    attainment(sys, { unitId: unit.id, period: period.key, periods: TREND_QUARTERS }),
    representativeness(sys, { unitId: unit.id, period: period.key, confidence: 0.95 }),
    dataQuality(sys, { unitId: unit.id, period: period.key, periods: TREND_QUARTERS, confidence: 0.95 }),
    exceptionsLog(sys, { unitId: unit.id, from: period.from, to: period.to, limit: PACK_EXCEPTIONS }),
  ]);
  const headline = quarter.items[0]!;
  const { distribution, ...score } = headline;
  return {
    score,
    distribution: distribution ?? null,
    previous: { period: previous.key, from: previous.from, to: previous.to },
    trend: { period: 'month' as const, from: first.from, to: period.to, items: trend.items },
    drivers,
    themes: themes.items.slice(0, PACK_THEMES).map(({ examples: _examples, terms: _terms, ...theme }) => theme),
    targets: targets.items,
    representativeness: represent,
    quality,
    exceptions,
  };
}

export type Pack = Awaited<ReturnType<typeof buildPack>>;

/** The headline numbers compared between the saved pack and today's scores. */
const headlineOf = (s: Pack['score']) => ({ nps: s.nps, n: s.n, promoters: s.promoters, passives: s.passives, detractors: s.detractors, ci: s.ci, suppressed: s.suppressed });

/**
 * GET /api/v1/reviews/{period}: the review pack of a quarter for a unit in the caller's reach:
 * live while the quarter is open, the saved pack once it closed (saved by the first read after
 * the close), with the corrections since.
 */
export async function reviewPack(d: Deps, q: { period: string; unitId?: string }, now = Date.now()) {
  const period = parseQuarter(q.period);
  const unit = await reportUnit(d, q.unitId);
  assertReviewReader(d.actor, unit);
  const today = localDay(now, unit.timezone);
  if (period.from > today) throw new ApiError('UNPROCESSABLE', `the quarter ${period.key} has not started for ${unit.name}`, [{ path: 'path.period', message: `starts ${period.from}` }]);
  const closesAt = closingTime(period.to, unit.timezone);
  const head = { unitId: unit.id, unitName: unit.name, period: period.key, from: period.from, to: period.to, closesAt: new Date(closesAt).toISOString() };
  if (now < closesAt) {
    return { ...head, status: 'open' as const, savedAt: null, generatedAt: new Date(now).toISOString(), pack: await buildPack(d, unit, period), corrections: [], current: null };
  }

  const { t } = d;
  let [saved] = await t
    .select()
    .from(reviewPacks)
    .where(and(eq(reviewPacks.unitId, unit.id), eq(reviewPacks.period, period.key)));
  if (!saved) {
    const pack = await buildPack(d, unit, period);
    const id = newId('rvp');
    await commit(t, [
      t
        .insert(reviewPacks)
        .values({ id, unitId: unit.id, period: period.key, closedAt: closesAt, pack: pack as unknown as Record<string, unknown>, createdAt: now })
        .onConflictDoNothing(),
      ...(await auditStatement(t, {
        actor: { type: 'system', id: null },
        action: 'review.save',
        targetType: 'review_pack',
        targetId: id,
        after: pack,
        details: { unitId: unit.id, period: period.key, readBy: d.actor.id },
        requestId: d.requestId,
      })),
    ]);
    // Two first reads at once: one insert wins, and both answer the pack that was saved.
    [saved] = await t
      .select()
      .from(reviewPacks)
      .where(and(eq(reviewPacks.unitId, unit.id), eq(reviewPacks.period, period.key)));
  }
  const pack = saved!.pack as unknown as Pack;
  const [corrections, live] = await Promise.all([
    correctionsSince(t, unit, period, saved!.closedAt),
    scoresAnswer(await asSystem(d), { unitId: unit.id, weight: 'none', confidence: 0.95, from: period.from, to: period.to }),
  ]);
  const before = headlineOf(pack.score);
  const after = headlineOf(live.items[0]! as Pack['score']);
  const changed = JSON.stringify(before) !== JSON.stringify(after);
  return {
    ...head,
    status: 'closed' as const,
    savedAt: new Date(saved!.createdAt).toISOString(),
    generatedAt: new Date(saved!.createdAt).toISOString(),
    pack,
    // Each correction made after the close; those made before the pack was saved are already in it.
    corrections: corrections.map((c) => ({ ...c, inPack: Date.parse(c.at) <= saved!.createdAt })),
    current: changed ? after : null,
  };
}
