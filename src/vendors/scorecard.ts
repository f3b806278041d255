import { localDay } from '../scores/local-day';
import { and, eq, gte, inArray, isNull, lt, or } from 'drizzle-orm';
import { can } from '../auth/policy';
import { loopMetrics } from '../cases/metrics';
import { cases, responses, units, vendorContracts } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { getRoot, getUnit, type Unit } from '../org/units';
import { scoreReport, vendorServedScores } from '../scores/report';
import { composite, weightsOf } from './composite';

const DAY = 86_400_000;

/**
 * A vendor's scorecard over the UTC days [from, to] (default the 90 days up to today): the NPS
 * of the answers it served at every site plus those filed under its unit (vendorServedScores), its
 * NPS per region and per site, the shares of its cases contacted and resolved within target, the composite
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

  const range = { from, to };
  const [[nps], trend, rows, [contract], where] = await Promise.all([
    vendorServedScores(d, unit, range),
    vendorServedScores(d, unit, { ...range, period: 'month' }),
    vendorCases(d, unit, range),
    t.select().from(vendorContracts).where(eq(vendorContracts.unitId, unit.id)),
    vendorWhere(d, unit, range),
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
    regions: where.regions,
    sites: where.sites,
  };
}

const caseFields = {
  id: cases.id,
  unitPath: units.path,
  ownerUserId: cases.ownerUserId,
  createdAt: cases.createdAt,
  firstContactAt: cases.firstContactAt,
  firstContactDueAt: cases.firstContactDueAt,
  resolvedAt: cases.resolvedAt,
  resolutionDueAt: cases.resolutionDueAt,
  closedAt: cases.closedAt,
};

/**
 * The vendor's cases opened in the range, as its answers are counted (vendorServedScores): the
 * cases of answers whose event named the vendor, at any unit, plus the cases filed under the vendor
 * unit's subtree whose answer names no vendor (or that have no answer: at-risk cases).
 */
async function vendorCases(d: Pick<Deps, 't'>, unit: Unit, range: { from: string; to: string }) {
  const { t } = d;
  const start = Date.parse(`${range.from}T00:00:00Z`);
  const end = Date.parse(`${range.to}T00:00:00Z`) + DAY;
  const subtree = and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
  const [served, filed] = await Promise.all([
    // Through the vendor's answers (responses_tenant_vendor_created); a case opens with its answer,
    // a day of slack covers an answer captured just before midnight whose case opened after it.
    t
      .select(caseFields)
      .from(responses)
      .innerJoin(cases, eq(cases.responseId, responses.id))
      .innerJoin(units, eq(units.id, cases.unitId))
      .where(and(eq(responses.vendorId, unit.id), gte(responses.createdAt, start - DAY), lt(responses.createdAt, end), gte(cases.createdAt, start), lt(cases.createdAt, end)))
      .limit(200_000),
    t
      .select(caseFields)
      .from(cases)
      .innerJoin(units, eq(units.id, cases.unitId))
      .leftJoin(responses, eq(responses.id, cases.responseId))
      .where(and(subtree, gte(cases.createdAt, start), lt(cases.createdAt, end), or(isNull(cases.responseId), isNull(responses.vendorId))))
      .limit(200_000),
  ]);
  return [...served, ...filed];
}

/**
 * Where the vendor's answers fall: its NPS per region (the root's children) and per site (their
 * children), each an item of GET /api/v1/scores with `vendorId`, suppressed below the tenant's
 * minimum like any score; units without the vendor's answers are left out. The answers filed under
 * the vendor unit itself (before the dimension) are at no site: they are the scorecard's total less
 * these (docs/dimensions.md).
 */
async function vendorWhere(d: Pick<Deps, 't' | 'actor'>, vendor: Unit, range: { from: string; to: string }) {
  const { t } = d;
  const root = (await getRoot(t))!;
  const regionUnits = await t
    .select({ id: units.id, name: units.name, kind: units.kind, parentId: units.parentId })
    .from(units)
    .where(and(eq(units.parentId, root.id)));
  const regions = regionUnits.filter((u) => u.kind !== 'vendor');
  const base = { vendorId: vendor.id, from: range.from, to: range.to, weight: 'none' as const, confidence: 0.95, groupBy: 'unit' as const };
  const [top, ...below] = await Promise.all([scoreReport(d, base), ...regions.map((r) => scoreReport(d, { ...base, unitId: r.id }))]);
  const byRegion = new Map(top.map((i) => [i.key, i]));
  const siteIds = [...new Set(below.flatMap((items, k) => items.filter((i) => i.n > 0 && i.key !== regions[k]!.id).map((i) => i.key)))];
  const siteUnits = siteIds.length ? await t.select({ id: units.id, name: units.name, kind: units.kind, parentId: units.parentId }).from(units).where(inArray(units.id, siteIds)) : [];
  const names = new Map(siteUnits.map((u) => [u.id, u]));
  return {
    regions: regions
      .filter((r) => (byRegion.get(r.id)?.n ?? 0) > 0)
      .map((r) => ({ unitId: r.id, name: r.name, kind: r.kind, score: byRegion.get(r.id)! }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    sites: below
      .flatMap((items, k) =>
        items
          .filter((i) => i.n > 0 && i.key !== regions[k]!.id && names.has(i.key))
          .map((i) => ({ unitId: i.key, name: names.get(i.key)!.name, kind: names.get(i.key)!.kind, regionId: regions[k]!.id, score: i })),
      )
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}
