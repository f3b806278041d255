import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import { can } from '../auth/policy';
import { auditLog, responses, targetAttainments, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { forbidden } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { inSubtree, type Unit } from '../org/units';
import { localDay } from '../scores/local-day';
import { gather, weighTally } from '../scores/query';
import { addTallies, emptyTally, score, type Tally } from '../scoring/nps';
import { npsTrend } from '../scoring/trend';
import { getSettings } from '../settings/settings';
import { type Measured, measure, measuredRange } from './measure';
import { type Period, parsePeriod, shiftPeriod } from './periods';
import { presentTarget, type TargetRow, targetsInSubtree } from './targets';

/*
 * GET /api/v1/targets/attainment (docs/targets.md): per unit with a target for the period, its
 * attainment (live while the period is open, the frozen record once it closed, with the
 * corrections since), and its sustained improvement over the last periods.
 */

const ZONE_MS = 14 * 3_600_000;
const DAY_MS = 86_400_000;

/** What differs between the frozen record and today's recomputation, if anything. */
const differs = (a: Measured, b: Measured) => a.n !== b.n || a.promoters !== b.promoters || a.detractors !== b.detractors || a.value !== b.value || a.band !== b.band;

/**
 * Exclusions and inclusions of answers of the unit's subtree and the period's local days,
 * audited after `since`: the corrections listed beside a frozen attainment.
 */
export async function correctionsSince(t: TenantDb, unit: Unit, range: { from: string; to: string }, since: number) {
  const rows = await t
    .select({
      at: auditLog.createdAt,
      action: auditLog.action,
      responseId: auditLog.targetId,
      actorId: auditLog.actorId,
      details: auditLog.details,
      answeredAt: responses.createdAt,
      score: responses.score,
      timezone: units.timezone,
    })
    .from(auditLog)
    .innerJoin(responses, eq(responses.id, auditLog.targetId))
    .innerJoin(units, eq(units.id, responses.unitId))
    .where(
      and(
        inArray(auditLog.action, ['response.exclude', 'response.include']),
        gt(auditLog.createdAt, since),
        inSubtree(unit.path),
        sql`${responses.createdAt} between ${Date.parse(`${range.from}T00:00:00Z`) - ZONE_MS} and ${Date.parse(`${range.to}T00:00:00Z`) + DAY_MS + ZONE_MS}`,
      ),
    )
    .orderBy(auditLog.createdAt)
    .limit(1000);
  return rows
    .filter((r) => {
      const day = localDay(r.answeredAt, r.timezone);
      return day >= range.from && day <= range.to;
    })
    .map((r) => ({
      at: new Date(r.at).toISOString(),
      change: r.action === 'response.exclude' ? ('excluded' as const) : ('included' as const),
      responseId: r.responseId,
      score: r.score,
      reason: typeof r.details?.reason === 'string' ? r.details.reason : null,
      actorId: r.actorId,
    }));
}

/**
 * The unit's NPS over the `count` periods up to and including `period` (the running one up to
 * today), each against the baseline: the target's rebaselined one, else the NPS of the period
 * just before them. With the weighted trend (docs/scoring.md §11) and the share of periods above
 * the baseline, by point estimate and by the interval's lower bound.
 */
async function sustained(t: TenantDb, unit: Unit, period: Period, target: TargetRow, count: number, opts: { minN: number; reliableN: number }, today: string) {
  const first = shiftPeriod(period, count - 1);
  const reference = shiftPeriod(period, count);
  const to = period.to < today ? period.to : today;
  const keys = Array.from({ length: count }, (_, i) => shiftPeriod(period, count - 1 - i).key);
  const tallies = new Map<string, Tally>();
  if (reference.from <= to) {
    const grouped = await gather(t, { root: { id: unit.id, path: unit.path }, from: reference.from, to, period: period.granularity === 'month' ? 'month' : 'quarter', weight: 'none' });
    for (const [p, cells] of grouped.get('')?.entries() ?? []) {
      // Years are summed from their quarters (tallies add up: docs/scoring.md §2).
      const key = period.granularity === 'year' ? p.slice(0, 4) : p;
      tallies.set(key, addTallies(tallies.get(key) ?? emptyTally(), weighTally(cells, 'none')));
    }
  }
  const ref = score(tallies.get(reference.key) ?? emptyTally(), opts);
  const baseline =
    target.baseline !== null
      ? { nps: target.baseline, source: 'rebaseline' as const, period: null }
      : ref.suppressed
        ? null
        : { nps: ref.nps!, source: 'previous_period' as const, period: reference.key };
  const periods = keys.map((key) => {
    const s = score(tallies.get(key) ?? emptyTally(), opts);
    return {
      period: key,
      nps: s.nps,
      ci: s.ci,
      n: s.n,
      suppressed: s.suppressed,
      ...(s.lowSample ? { lowSample: true as const } : {}),
      aboveBaseline: baseline && !s.suppressed ? s.nps! > baseline.nps : null,
      aboveBaselineWithConfidence: baseline && !s.suppressed ? s.ci!.low > baseline.nps : null,
    };
  });
  // Only periods shown (at or above the anonymity threshold) enter the trend and the shares.
  const shown = periods.filter((p) => !p.suppressed);
  const trend = npsTrend(keys.map((key, x) => ({ x, tally: tallies.get(key) ?? emptyTally() })).filter((_, i) => !periods[i]!.suppressed));
  return {
    from: first.from,
    periods,
    baseline,
    trend: trend ? { slopePerPeriod: trend.slope, ci: trend.ci, p: trend.p, periods: trend.periods } : null,
    shareAboveBaseline: baseline && shown.length ? shown.filter((p) => p.aboveBaseline).length / shown.length : null,
    shareAboveBaselineWithConfidence: baseline && shown.length ? shown.filter((p) => p.aboveBaselineWithConfidence).length / shown.length : null,
  };
}

export interface AttainmentQuery {
  unitId?: string;
  period: string;
  periods?: number;
}

/** Per unit with a target for the period under the unit (in path order): attainment and sustained improvement. */
export async function attainment(d: Deps, q: AttainmentQuery) {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores');
  const period = parsePeriod(q.period)!;
  const [rows, settings] = await Promise.all([targetsInSubtree(t, unit.path, period.key), getSettings(t)]);
  const frozen = rows.length
    ? await t
        .select()
        .from(targetAttainments)
        .where(
          inArray(
            targetAttainments.targetId,
            rows.map((r) => r.target.id),
          ),
        )
    : [];
  const byTarget = new Map(frozen.map((f) => [f.targetId, f]));
  const now = Date.now();
  const opts = { minN: settings.minResponses, reliableN: settings.reliabilityThreshold };
  const items = [];
  for (const { target, unit: u } of rows) {
    const today = localDay(now, u.timezone);
    const record = byTarget.get(target.id);
    const range = record ? { from: period.from, to: period.to } : measuredRange(period, u, now);
    const [live, trend, corrections] = await Promise.all([
      measure(d, u, target, range),
      sustained(t, u, period, target, q.periods ?? 4, opts, today),
      record ? correctionsSince(t, u, range, record.closedAt) : null,
    ]);
    const status: 'closed' | 'upcoming' | 'open' | 'closing' = record ? 'closed' : period.from > today ? 'upcoming' : period.to >= today ? 'open' : 'closing';
    const shown = record ? (record.record as unknown as Measured) : live;
    items.push({
      unitId: u.id,
      unitName: u.name,
      target: presentTarget(target, u.name),
      status,
      closedAt: record ? new Date(record.closedAt).toISOString() : null,
      ...shown,
      ...(record ? { corrections: corrections ?? [], current: differs(shown, live) ? live : null } : {}),
      sustained: trend,
    });
  }
  return { period: period.key, from: period.from, to: period.to, items };
}
