import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { MEASURE_KEY } from '../measures/measures';
import { ScoreItem } from '../scores/scores-query';
import { getComposite, putComposite } from './composites';

const tags = ['composites'];
const DAY = 86_400_000;
const day = z.iso.date();
const weight = z.number().min(0).max(1000);

const UnitParam = z.object({
  unitId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'unitId', in: 'path' } }),
});

const Weights = z
  .strictObject({
    nps: weight.openapi({ description: 'The weight of NPS, mapped to 0..100 as (nps + 100) / 2' }),
    measures: z
      .array(
        z.strictObject({
          key: z.string().regex(MEASURE_KEY),
          weight,
          worst: z.number().openapi({ description: "The measure's value that scores 0" }),
          target: z.number().openapi({ description: "The measure's value that scores 100 (below `worst` where lower is better)" }),
        }),
      )
      .max(20)
      .default([]),
  })
  .openapi('CompositeIndexWeights');

const Composite = z
  .object({
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    nps: ScoreItem,
    weightsFrom: z.string().nullable().openapi({ description: 'The unit whose weights apply (itself or its nearest ancestor with weights); null: none set' }),
    weights: Weights.nullable(),
    measures: z.record(z.string(), z.number().nullable()).openapi({ description: "Each weighted measure's mean over the subtree and range" }),
    value: z.number().min(0).max(100).nullable(),
    components: z.object({ nps: z.number().nullable(), measures: z.record(z.string(), z.number().nullable()) }).nullable(),
    reason: z.enum(['no_weights', 'nps_suppressed', 'no_weighted_components']).optional(),
  })
  .openapi('CompositeIndex');

const routes = {
  put: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'put',
    path: '/api/v1/composites/{unitId}',
    summary: "Set a unit's composite index: weights of NPS and measures, for it and its subtree",
    description: 'Admin of the unit. 422 for an unknown measure, a measure twice, equal `worst` and `target`, or all weights zero. Audited. docs/drivers.md "Composite index".',
    request: { params: UnitParam, body: jsonBody(Weights) },
    responses: { 200: json(z.object({ unitId: z.string(), weights: Weights }), 'Set'), ...errors(...AUTHED, 422) },
  }),
  get: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/composites/{unitId}',
    summary: "A unit's composite index beside its NPS",
    request: {
      params: UnitParam,
      query: z
        .strictObject({ from: day.optional(), to: day.optional() })
        .refine((q) => !(q.from && q.to && q.from > q.to), { path: ['from'], message: 'must not be after `to`' })
        .refine((q) => !(q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * DAY), { path: ['from'], message: 'at most three years per query' }),
    },
    responses: { 200: json(Composite, 'The index'), ...errors(...AUTHED) },
  }),
};

export const compositeRoutes = createRouter()
  .openapi(routes.put, async (c) => c.json(await putComposite(deps(c), c.req.valid('param').unitId, c.req.valid('json')), 200))
  .openapi(routes.get, async (c) => c.json(await getComposite(deps(c), c.req.valid('param').unitId, c.req.valid('query')), 200));
