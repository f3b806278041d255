import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { TARGET_BASES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { attainment } from './attainment';
import { BANDS } from './measure';
import { parsePeriod } from './periods';
import { listTargets, rebaseline, setTarget } from './targets';

const tags = ['targets'];

const period = z
  .string()
  .refine((p) => parsePeriod(p) !== null, 'a year `2027`, a quarter `2027-Q1` or a month `2027-03` (2000–2100)')
  .openapi({ example: '2027-Q1' });
const band = z.number().finite();
const interval = z.object({ low: z.number(), high: z.number(), level: z.number() });

const TargetBody = z
  .strictObject({
    period,
    threshold: band.openapi({ description: 'The lowest band: below it the target is missed' }),
    target: band,
    stretch: band,
    basis: z.enum(TARGET_BASES).default('nps').openapi({ description: '`nps` (−100..100) or, for a vendor unit, `composite` (its scorecard index, 0..100)' }),
  })
  .superRefine((b, ctx) => {
    const [lo, hi] = b.basis === 'composite' ? [0, 100] : [-100, 100];
    for (const k of ['threshold', 'target', 'stretch'] as const) if (b[k] < lo || b[k] > hi) ctx.addIssue({ code: 'custom', path: [k], message: `on the ${b.basis} scale, ${lo} to ${hi}` });
    if (b.target < b.threshold) ctx.addIssue({ code: 'custom', path: ['target'], message: 'must not be below threshold' });
    if (b.stretch < b.target) ctx.addIssue({ code: 'custom', path: ['stretch'], message: 'must not be below target' });
  })
  .openapi('TargetBody');

const TargetSchema = z
  .object({
    id: z.string(),
    unitId: z.string(),
    unitName: z.string(),
    period: z.string(),
    from: z.string(),
    to: z.string(),
    basis: z.enum(TARGET_BASES),
    threshold: z.number(),
    target: z.number(),
    stretch: z.number(),
    baseline: z.number().nullable().openapi({ description: 'The NPS the bands stand against since a rebaseline' }),
    rebaselinedFrom: z.string().nullable().openapi({ description: 'The process-change annotation of the last rebaseline' }),
    rebaselineReason: z.string().nullable(),
    closed: z.boolean().openapi({ description: 'The period closed: its attainment is frozen, the target no longer changes' }),
    closesAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi('Target');

const Measured = {
  from: z.string(),
  to: z.string(),
  nps: z.number().nullable(),
  ci: interval.nullable(),
  n: z.number().int(),
  promoters: z.number().int(),
  passives: z.number().int(),
  detractors: z.number().int(),
  suppressed: z.boolean(),
  suppressedReason: z.enum(['no_answers', 'below_min_n', 'not_for_individual_evaluation']).optional(),
  lowSample: z.literal(true).optional(),
  value: z.number().nullable().openapi({ description: 'On the basis scale: the NPS, or the composite index' }),
  valueCi: interval.nullable(),
  band: z.enum(BANDS).nullable().openapi({ description: 'The band the point estimate reaches' }),
  reached: z
    .enum(['with_confidence', 'within_noise'])
    .nullable()
    .openapi({ description: "`with_confidence`: the interval's lower bound is at or above the band (below the threshold: its upper bound under it)" }),
  bandWithConfidence: z.enum(BANDS).nullable().openapi({ description: "The band the interval's lower bound reaches" }),
};
const MeasuredSchema = z.object(Measured).openapi('Attainment');

const PeriodScore = z.object({
  period: z.string(),
  nps: z.number().nullable(),
  ci: interval.nullable(),
  n: z.number().int(),
  suppressed: z.boolean(),
  lowSample: z.literal(true).optional(),
  aboveBaseline: z.boolean().nullable(),
  aboveBaselineWithConfidence: z.boolean().nullable(),
});

const Sustained = z
  .object({
    from: z.string(),
    periods: z.array(PeriodScore),
    baseline: z.object({ nps: z.number(), source: z.enum(['rebaseline', 'previous_period']), period: z.string().nullable() }).nullable(),
    trend: z.object({ slopePerPeriod: z.number(), ci: interval, p: z.number(), periods: z.number().int() }).nullable(),
    shareAboveBaseline: z.number().nullable(),
    shareAboveBaselineWithConfidence: z.number().nullable(),
  })
  .openapi('SustainedImprovement', { description: 'The last periods up to this one, each against the baseline, and the weighted trend (docs/scoring.md §11)' });

const Correction = z
  .object({
    at: z.string(),
    change: z.enum(['excluded', 'included']),
    responseId: z.string(),
    score: z.number().int().nullable(),
    reason: z.string().nullable(),
    actorId: z.string().nullable(),
  })
  .openapi('AttainmentCorrection');

const AttainmentItem = z
  .object({
    unitId: z.string(),
    unitName: z.string(),
    target: TargetSchema,
    status: z.enum(['upcoming', 'open', 'closing', 'closed']).openapi({ description: '`closing`: ended, within the grace for late answers; `closed`: frozen' }),
    closedAt: z.string().nullable(),
    ...Measured,
    corrections: z.array(Correction).optional().openapi({ description: 'Closed periods: exclusions and inclusions of its answers since it closed (they never change the record)' }),
    current: MeasuredSchema.nullable().optional().openapi({ description: 'Closed periods: the attainment recomputed now, when it differs from the record' }),
    sustained: Sustained,
  })
  .openapi('AttainmentItem');

const AttainmentQuery = z.strictObject({
  unitId: z.string().min(1).max(64).optional().openapi({ description: 'Targets on this unit and below; default the root or your one subtree' }),
  period,
  periods: z.coerce.number().int().min(2).max(12).optional().openapi({ description: 'How many periods the sustained improvement looks back over, this one included (default 4)' }),
});

const RebaselineBody = z
  .strictObject({
    annotationId: z.string().min(1).max(64).openapi({ description: 'A process-change annotation on the unit (or on an ancestor, applying to its subtree)' }),
    reason: z.string().trim().min(1).max(1000),
    graceWeeks: z.number().int().min(0).max(26).optional().openapi({ description: 'Weeks after the change left out while it settles (default 2)' }),
    weeks: z.number().int().min(1).max(26).optional().openapi({ description: 'Weeks measured before the change and after the grace (default 8)' }),
  })
  .openapi('RebaselineBody');

const Window = z.object({ from: z.string(), to: z.string(), nps: z.number(), ci: interval, n: z.number().int() });
const RebaselineResult = z
  .object({
    annotation: z.object({ id: z.string(), date: z.string(), kind: z.string(), title: z.string() }),
    before: Window,
    after: Window,
    change: z.object({ points: z.number(), p: z.number() }).nullable(),
    targets: z.array(TargetSchema.extend({ shift: z.number() })),
  })
  .openapi('RebaselineResult');

const routes = {
  set: createRoute({
    method: 'put',
    path: '/api/v1/units/{id}/targets',
    tags,
    summary: "Set a unit's target for a period with its bands (threshold ≤ target ≤ stretch); audited",
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(TargetBody) },
    responses: { 200: json(TargetSchema, 'The target as set'), ...errors(...AUTHED, 409, 422) },
  }),
  list: createRoute({
    method: 'get',
    path: '/api/v1/units/{id}/targets',
    tags,
    summary: "A unit's targets, by period",
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(z.object({ items: z.array(TargetSchema) }), 'Targets'), ...errors(...AUTHED) },
  }),
  rebaseline: createRoute({
    method: 'post',
    path: '/api/v1/units/{id}/targets/rebaseline',
    operationId: 'rebaselineUnitTargets',
    tags,
    summary: "Rebaseline a unit's open NPS targets from the weeks after a process change; audited with the reason",
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(RebaselineBody) },
    responses: { 200: json(RebaselineResult, 'The windows compared and the targets moved'), ...errors(...AUTHED, 422) },
  }),
  attainment: createRoute({
    method: 'get',
    path: '/api/v1/targets/attainment',
    tags,
    summary: 'Attainment per unit with a target for the period: NPS with interval and n, the band reached, with confidence or within noise; frozen once closed',
    security,
    middleware: [authenticate] as const,
    request: { query: AttainmentQuery },
    responses: { 200: json(z.object({ period: z.string(), from: z.string(), to: z.string(), items: z.array(AttainmentItem) }), 'Attainment'), ...errors(...AUTHED) },
  }),
};

export const targetRoutes = createRouter()
  .openapi(routes.set, async (c) => c.json(await setTarget(deps(c), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(routes.list, async (c) => c.json({ items: await listTargets(deps(c), c.req.valid('param').id) }, 200))
  .openapi(routes.rebaseline, async (c) => c.json(await rebaseline(deps(c), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(routes.attainment, async (c) => c.json(await attainment(deps(c), c.req.valid('query')), 200));
