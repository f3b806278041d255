import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { ScoreItem } from '../scores/scores-query';
import { vendorScorecard } from './scorecard';

const DAY = 86_400_000;
const day = z.iso.date();
const share = z.number().min(0).max(1).nullable();
const component = z.number().min(0).max(100).nullable();
const Weights = z.object({ nps: z.number(), contactedWithinTarget: z.number(), resolvedWithinTarget: z.number() }).openapi('CompositeWeights');

const Where = z
  .object({ unitId: z.string(), name: z.string(), kind: z.string(), score: ScoreItem })
  .openapi('VendorWhere', { description: "The vendor's answers at one unit, suppressed below the tenant's minimum like any score" });

const Scorecard = z
  .object({
    unitId: z.string(),
    name: z.string(),
    from: z.string(),
    to: z.string(),
    nps: ScoreItem.openapi({
      description:
        'The vendor\'s answers over the range: those whose event named the vendor, at every site, plus those filed under the vendor unit that name no vendor (docs/dimensions.md "Vendor scorecards across sites")',
    }),
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
    trend: z.array(ScoreItem).openapi({ description: 'Monthly scores of the same answers over the range (months with answers)' }),
    regions: z.array(Where).openapi({ description: "The vendor's NPS in each region (the root's children) where it served answers, as GET /api/v1/scores?vendorId=&groupBy=unit" }),
    sites: z.array(Where.extend({ regionId: z.string() })).openapi({ description: "The vendor's NPS at each site (a region's children) where it served answers" }),
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
        to: day.optional().openapi({ description: "Last local day, inclusive; default the vendor unit's local today" }),
      })
      .refine((q) => !(q.from && q.to && q.from > q.to), { path: ['from'], message: 'must not be after `to`' })
      .refine((q) => !(q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 366 * DAY), { path: ['from'], message: 'at most 366 days' }),
  },
  responses: { 200: json(Scorecard, 'The scorecard'), ...errors(...AUTHED, 422) },
});

export const vendorRoutes = createRouter().openapi(scorecard, async (c) => c.json(await vendorScorecard(deps(c), c.req.valid('param').unitId, c.req.valid('query')), 200));
