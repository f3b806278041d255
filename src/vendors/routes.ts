import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, gte, lt } from 'drizzle-orm';
import { authenticate } from '../auth/authenticate';
import { can } from '../auth/policy';
import { cases, units, vendorContracts } from '../db/schema';
import { loopMetrics } from '../cases/metrics';
import { createRouter } from '../lib/create-app';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { getUnit } from '../org/units';
import { scoreReport } from '../scores/report';
import { ScoreItem } from '../scores/scores-query';
import { composite, weightsOf } from './composite';

const DAY = 86_400_000;
const day = z.iso.date();
const share = z.number().min(0).max(1).nullable();
const component = z.number().min(0).max(100).nullable();
const Weights = z.object({ nps: z.number(), contactedWithinTarget: z.number(), resolvedWithinTarget: z.number() }).openapi('CompositeWeights');

const Scorecard = z
  .object({
    unitId: z.string(),
    name: z.string(),
    from: z.string(),
    to: z.string(),
    nps: ScoreItem.openapi({ description: 'The vendor subtree over the range, exactly as an item of GET /api/v1/scores' }),
    contactedWithinTarget: share.openapi({ description: 'Share of cases first contacted within target (as GET /api/v1/cases/metrics)' }),
    resolvedWithinTarget: share.openapi({ description: 'Share of cases resolved within target' }),
    casesInWindow: z.number().int().openapi({ description: 'Cases opened in the range (UTC days, as the case metrics count them)' }),
    composite: z.object({
      value: z.number().min(0).max(100).nullable(),
      weights: Weights,
      components: z.object({ nps: component, contactedWithinTarget: component, resolvedWithinTarget: component }),
      reason: z.enum(['nps_suppressed', 'no_weighted_components']).optional(),
    }),
    targets: z
      .object({ firstContactHours: z.number().int().nullable(), resolutionHours: z.number().int().nullable() })
      .openapi({ description: "The contract's case targets (null: the tenant's defaults apply)" }),
    trend: z.array(ScoreItem).openapi({ description: 'Monthly scores over the range, as GET /api/v1/scores?period=month' }),
  })
  .openapi('VendorScorecard');

const scorecard = createRoute({
  method: 'get',
  path: '/api/v1/vendors/{unitId}/scorecard',
  tags: ['vendors'],
  summary: "A vendor's scorecard: NPS, cases within target, the composite index and the monthly trend",
  description: 'score.read on the vendor unit; a vendor sees its own unit only (others answer 404). The composite is docs/reports.md "Vendor composite index".',
  security,
  middleware: [authenticate] as const,
  request: {
    params: z.object({
      unitId: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'unitId', in: 'path' } }),
    }),
    query: z
      .strictObject({
        from: day.optional().openapi({ description: 'First day; default 90 days before `to`' }),
        to: day.optional().openapi({ description: 'Last day, inclusive; default today (UTC)' }),
      })
      .refine((q) => !(q.from && q.to && q.from > q.to), { path: ['from'], message: 'must not be after `to`' })
      .refine((q) => !(q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 366 * DAY), { path: ['from'], message: 'at most 366 days' }),
  },
  responses: { 200: json(Scorecard, 'The scorecard'), ...errors(...AUTHED, 422) },
});

export const vendorRoutes = createRouter().openapi(scorecard, async (c) => {
  const actor = c.get('actor');
  const db = c.get('db');
  const q = c.req.valid('query');
  const unit = await getUnit(c.get('tdb'), c.req.valid('param').unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  if (unit.kind !== 'vendor') throw new ApiError('UNPROCESSABLE', 'scorecards are for vendor units only');
  const now = Date.now();
  const to = q.to ?? new Date(now).toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 89 * DAY).toISOString().slice(0, 10);
  if (from > to) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.from', message: 'must not be after `to`' }]);

  const base = { unitId: unit.id, from, to, weight: 'none' as const, confidence: 0.95 };
  const subtree = and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
  const [[nps], trend, rows, [contract]] = await Promise.all([
    scoreReport(deps(c), base),
    scoreReport(deps(c), { ...base, period: 'month' }),
    db
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
      .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
      .where(and(eq(cases.tenantId, actor.tenantId), subtree, gte(cases.createdAt, Date.parse(`${from}T00:00:00Z`)), lt(cases.createdAt, Date.parse(`${to}T00:00:00Z`) + DAY)))
      .limit(200_000),
    db
      .select()
      .from(vendorContracts)
      .where(and(eq(vendorContracts.tenantId, actor.tenantId), eq(vendorContracts.unitId, unit.id))),
  ]);
  const metrics = loopMetrics(rows, now);
  const contacted = metrics.withinTarget.firstContact;
  const resolved = metrics.withinTarget.resolution;
  return c.json(
    {
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
    },
    200,
  );
});
