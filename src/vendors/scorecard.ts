import { localDay } from '../scores/local-day';
import { and, eq, gte, lt } from 'drizzle-orm';
import { can } from '../auth/policy';
import { loopMetrics } from '../cases/metrics';
import { cases, units, vendorContracts } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { getUnit } from '../org/units';
import { scoreReport } from '../scores/report';
import { composite, weightsOf } from './composite';

const DAY = 86_400_000;

/**
 * A vendor's scorecard over the UTC days [from, to] (default the 90 days up to today): the NPS
 * of its subtree, the shares of its cases contacted and resolved within target, the composite
 * index (src/vendors/composite.ts) and the monthly trend. score.read on the vendor unit; a unit
 * the caller does not read answers 404.
 */
export async function vendorScorecard(d: Pick<Deps, 't' | 'actor'>, unitId: string, q: { from?: string; to?: string }) {
  const { t, actor } = d;
  const unit = await getUnit(t, unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  if (unit.kind !== 'vendor') throw new ApiError('UNPROCESSABLE', 'scorecards are for vendor units only');
  const now = Date.now();
  const to = q.to ?? localDay(now, unit.timezone);
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 89 * DAY).toISOString().slice(0, 10);
  if (from > to) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.from', message: 'must not be after `to`' }]);

  const base = { unitId: unit.id, from, to, weight: 'none' as const, confidence: 0.95 };
  const subtree = and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
  const [[nps], trend, rows, [contract]] = await Promise.all([
    scoreReport(d, base),
    scoreReport(d, { ...base, period: 'month' }),
    t
      .select({
        unitPath: units.path,
        ownerUserId: cases.ownerUserId,
        createdAt: cases.createdAt,
        firstContactAt: cases.firstContactAt,
        firstContactDueAt: cases.firstContactDueAt,
        resolvedAt: cases.resolvedAt,
        resolutionDueAt: cases.resolutionDueAt,
        closedAt: cases.closedAt,
      })
      .from(cases)
      .innerJoin(units, eq(units.id, cases.unitId))
      .where(and(subtree, gte(cases.createdAt, Date.parse(`${from}T00:00:00Z`)), lt(cases.createdAt, Date.parse(`${to}T00:00:00Z`) + DAY)))
      .limit(200_000),
    t.select().from(vendorContracts).where(eq(vendorContracts.unitId, unit.id)),
  ]);
  const metrics = loopMetrics(rows, now);
  const contacted = metrics.withinTarget.firstContact;
  const resolved = metrics.withinTarget.resolution;
  return {
    unitId: unit.id,
    name: unit.name,
    from,
    to,
    nps: nps!,
    contactedWithinTarget: contacted,
    resolvedWithinTarget: resolved,
    casesInWindow: rows.length,
    composite: composite({ nps: nps!.nps, npsSuppressed: nps!.suppressed, contactedWithinTarget: contacted, resolvedWithinTarget: resolved }, weightsOf(contract?.compositeWeights)),
    targets: { firstContactHours: contract?.firstContactHours ?? null, resolutionHours: contract?.resolutionHours ?? null },
    trend,
  };
}
