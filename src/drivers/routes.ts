import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { keyDrivers } from './drivers';

const DAY = 86_400_000;
const day = z.iso.date();
const id = z.string().min(1).max(64);

const DriversQuery = z
  .strictObject({
    unitId: id.optional().openapi({ description: 'The unit analysed with its whole subtree; default the root' }),
    from: day.optional().openapi({ description: 'First local day, inclusive; default 90 days before `to`' }),
    to: day.optional().openapi({ description: "Last local day, inclusive; default the unit's local today" }),
    touchpointId: id.optional().openapi({ description: "Only this touchpoint's answers (and its survey's questions)" }),
  })
  .refine((q) => !(q.from && q.to && q.from > q.to), { path: ['from'], message: 'must not be after `to`' })
  .refine((q) => !(q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * DAY), { path: ['from'], message: 'at most three years per query' });

const DriverItem = z
  .object({
    driver: z.string().openapi({ description: 'The measure key, the question id, or the library theme id' }),
    kind: z.enum(['measure', 'question', 'theme']).openapi({ description: "`theme`: 0/1, the answer's analysed comment mentions the library theme (on the answers with an analysed comment)" }),
    name: z.string().optional().openapi({ description: "A theme's name in the library (theme items only)" }),
    weight: z.number().openapi({ description: "Johnson's relative weight: the part of R² due to the driver (the weights sum to r2)" }),
    share: z.number().openapi({ description: 'weight / r2' }),
    ci: z.object({ low: z.number(), high: z.number() }).openapi({ description: '95% percentile bootstrap interval of the weight (seeded: a repeat gives the same)' }),
    significant: z.boolean().openapi({ description: "False when the 95% bootstrap interval of the weight minus a random predictor's weight includes 0 (docs/drivers.md)" }),
    correlation: z.number().openapi({ description: 'Pearson correlation of the driver with the 0–10 score' }),
  })
  .openapi('DriverItem');

const DriversResult = z
  .object({
    n: z.number().int().openapi({ description: 'Answers where every predictor is present' }),
    r2: z.number().nullable().openapi({ description: 'R² of the score on all drivers; null when suppressed' }),
    method: z.literal('johnson-relative-weights'),
    items: z.array(DriverItem).openapi({ description: 'Largest weight first; empty when suppressed' }),
    suppressed: z.boolean(),
    suppressedReason: z.enum(['below_min_n', 'no_predictors', 'constant_predictor', 'constant_outcome', 'collinear_predictors']).optional(),
    computedAt: z.string().openapi({ description: 'When the result was computed: it is kept until new answers arrive in its scope' }),
  })
  .openapi('KeyDrivers');

const Pending = z
  .object({ status: z.literal('computing'), retryAfterSeconds: z.number().int() })
  .openapi('KeyDriversPending', { description: 'A large scope is being computed by a queue job: ask again after Retry-After' });

const drivers = createRoute({
  method: 'get',
  path: '/api/v1/drivers',
  tags: ['drivers'],
  summary: "Key drivers of the 0–10 score: Johnson's relative weights of the event measures, numeric follow-up questions and theme presence",
  description:
    'score.read on the unit. On the answers where every predictor is present (predictors on at least half of the answers enter); suppressed below 100 such answers, ' +
    'or when a predictor or the score is constant, or predictors are collinear. Theme presence enters when at least half of the answers have an analysed comment and the theme has at least 20 mentions and 20 non-mentions; ' +
    'the model then runs on the answers with an analysed comment. Kept until new answers or analyses arrive in the scope; a scope over the inline limit answers 202 while a queue job computes it (docs/drivers.md).',
  security,
  middleware: [authenticate] as const,
  request: { query: DriversQuery },
  responses: { 200: json(DriversResult, 'The key drivers'), 202: json(Pending, 'Being computed'), ...errors(...AUTHED) },
});

export const driverRoutes = createRouter().openapi(drivers, async (c) => {
  const out = await keyDrivers(deps(c), c.req.valid('query'));
  if (out.pending) {
    c.header('retry-after', String(out.retryAfterSeconds));
    return c.json({ status: 'computing' as const, retryAfterSeconds: out.retryAfterSeconds }, 202);
  }
  return c.json(out.result, 200);
});
