import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { GovernancePeriod } from './period';
import { EXCEPTION_KINDS, exceptionsLog } from './exceptions';
import { BASES, dataQuality } from './quality';
import { applySampling, DIMENSIONS, representativeness } from './representativeness';

const tags = ['governance'];
const id = z.string().min(1).max(64);
const Interval = z.object({ low: z.number(), high: z.number(), level: z.number() });

const RepresentativenessQuery = z.strictObject({
  unitId: id.optional().openapi({ description: "The unit reviewed with its subtree; default the root (or the caller's one subtree)" }),
  period: GovernancePeriod,
  touchpointId: id.optional().openapi({ description: 'Only invitations of this touchpoint; also yields the sampling suggestion for its rules' }),
  confidence: z.coerce.number().gt(0).lt(1).default(0.95).openapi({ description: 'Confidence of the intervals; 1 − confidence is the significance level of the tests' }),
});

const Group = z
  .object({
    dimension: z.enum(DIMENSIONS),
    key: z.string().openapi({ description: 'The group: a segment, tenure bucket, contract size, support tier, region unit id, channel or locale; `unknown` when absent' }),
    label: z.string().optional().openapi({ description: "Regions: the region unit's name" }),
    invited: z.number().int().openapi({ description: 'Invitations delivered in the period (sent, answered or expired)' }),
    responded: z.number().int().openapi({ description: 'Of them, answered with a score' }),
    rate: z.number().openapi({ description: 'Response rate, responded / invited' }),
    ci: Interval.nullable().openapi({ description: 'Wilson score interval of the rate; null without invitations' }),
    invitedShare: z.number(),
    respondentShare: z.number(),
    test: z
      .object({ z: z.number(), p: z.number(), pAdjusted: z.number().openapi({ description: 'Holm-adjusted over every group tested in this answer' }) })
      .nullable()
      .openapi({ description: "The group's rate against the rest of its dimension (pooled two-proportion z test); null when not tested" }),
    untestedReason: z.enum(['below_min_n']).optional().openapi({ description: 'Fewer than `minInvited` invitations in the group or in the rest' }),
    underRepresented: z.boolean().openapi({ description: 'Answers significantly less than the rest (z < 0, adjusted p below 1 − confidence)' }),
  })
  .openapi('RepresentativenessGroup');

const Representativeness = z
  .object({
    unitId: z.string(),
    period: z.string(),
    from: z.string(),
    to: z.string(),
    touchpointId: z.string().nullable(),
    confidence: z.number(),
    minInvited: z.number().int(),
    invited: z.number().int(),
    responded: z.number().int(),
    rate: z.number(),
    ci: Interval.nullable(),
    groups: z.array(Group),
    underRepresented: z.array(z.object({ dimension: z.enum(DIMENSIONS), key: z.string() })),
    poststratification: z
      .object({
        shares: z.enum(['settings', 'invited']).openapi({ description: "`settings`: the tenant's population shares; `invited`: none set, the period's invited mix by segment" }),
        n: z.number().int().openapi({ description: 'Counted answers with a score in the period' }),
        effectiveN: z.number().openapi({ description: 'Kish effective n of the post-stratified weights' }),
        designEffect: z.number().nullable().openapi({ description: 'n / effective n: how many answers weighting costs per effective answer' }),
        segments: z.array(z.object({ segment: z.string(), respondents: z.number().int(), share: z.number(), weight: z.number() })),
      })
      .openapi({ description: 'The weights `weight=poststrat` of the scores API applies to these answers, and what they cost' }),
    suggestion: z
      .object({
        sampling: z.record(z.string(), z.number()).openapi({ description: "The touchpoint's sampling rule after the change (to POST to its `/sampling`)" }),
        segments: z.array(
          z.object({
            segment: z.string(),
            currentRate: z.number(),
            suggestedRate: z.number(),
            responseRate: z.number(),
            eligibleShare: z.number(),
            expectedRespondentShare: z.number(),
          }),
        ),
        invitationsRatio: z.number().openapi({ description: "Expected invitations of a wave under the suggested rates, over today's" }),
      })
      .nullable()
      .openapi({ description: 'With `touchpointId`: sampling rates per segment that would restore the balance; null without a touchpoint or with fewer than two segments to balance' }),
  })
  .openapi('Representativeness');

const Sampling = z
  .strictObject({
    sampling: z
      .record(z.string().min(1).max(100), z.number().min(0).max(1))
      .refine((s) => Object.keys(s).length >= 1 && Object.keys(s).length <= 200, 'from 1 to 200 segments')
      .openapi({ description: 'Share of eligible contacts invited per segment (`*`: any other segment); replaces the rule' }),
    reason: z.string().trim().min(3).max(500),
  })
  .openapi('ApplySampling');

const QualityQuery = z.strictObject({
  unitId: id.optional().openapi({ description: "The unit reviewed with its subtree; default the root (or the caller's one subtree)" }),
  period: GovernancePeriod.openapi({ description: 'The last period of the series: a quarter `YYYY-Qn` or a month `YYYY-MM`' }),
  periods: z.coerce.number().int().min(2).max(12).default(4).openapi({ description: 'How many periods of the same kind, ending with `period`' }),
  confidence: z.coerce.number().gt(0).lt(1).default(0.95).openapi({ description: 'A trend is `up` or `down` when its change is significant at 1 − confidence' }),
});

const Quality = z
  .object({
    unitId: z.string(),
    period: z.string(),
    periods: z.array(z.string()),
    confidence: z.number(),
    fatigueDays: z.number().int().openapi({ description: "The tenant's fatigue window that `overSurveyed` is measured against" }),
    metrics: z.array(
      z.object({
        key: z
          .string()
          .openapi({ description: '`flagged.<rule>`, `excludedByRule`, `includedByAdmin`, `excludedByAdmin`, `skipped.<reason>`, `bounced`, `dead`, `overSurveyed`, `firstContactLate`, `dropped`' }),
        base: z.enum(BASES).openapi({ description: 'What the rate is taken over: answers, eligibility decisions, invitations (not cancelled) or recovery cases, created in the period' }),
        label: z.string(),
        series: z.array(z.object({ period: z.string(), count: z.number().int(), base: z.number().int(), rate: z.number().nullable() })),
        trend: z
          .object({ points: z.number(), z: z.number(), p: z.number(), direction: z.enum(['up', 'down', 'flat']) })
          .nullable()
          .openapi({ description: 'The last period against the one before (pooled two-proportion z test); null when either has no base' }),
      }),
    ),
  })
  .openapi('DataQuality');

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

const ExceptionsQuery = z
  .strictObject({
    unitId: id.optional().openapi({ description: "The unit reviewed with its subtree; default the root (or the caller's one subtree). Tenant-wide changes are listed for the root only" }),
    from: day.optional().openapi({ description: "First local day (the unit's time zone), inclusive" }),
    to: day.optional().openapi({ description: 'Last local day, inclusive' }),
    kind: z.enum(EXCEPTION_KINDS).optional(),
    recordedBy: id.optional().openapi({ description: 'Only items whose trail holds this user (or API key) id' }),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['from'], message: 'must not be after `to`' });

const Trail = z.object({ action: z.string(), at: z.string(), actorType: z.string(), actorId: z.string().nullable(), actorName: z.string().nullable() });
const ExceptionItem = z
  .object({
    kind: z.enum(EXCEPTION_KINDS),
    id: z.string().openapi({ description: 'The alert id, or the audit row id of the change' }),
    unitId: z.string().nullable().openapi({ description: 'null: a tenant-wide change' }),
    occurredAt: z.string(),
    summary: z.string(),
    status: z.enum(['open', 'recovered']).nullable().openapi({ description: 'Drops: whether the score recovered' }),
    rootCause: z.string().nullable().openapi({ description: 'Drops: the recorded root cause; changes: the reason given with them' }),
    correctiveAction: z.string().nullable(),
    plans: z.array(z.object({ id: z.string(), title: z.string(), status: z.string() })).openapi({ description: 'Action plans answering the alert' }),
    trail: z.array(Trail).openapi({ description: 'Who recorded what: the audit rows behind the item, oldest first' }),
  })
  .openapi('GovernanceException');

const routes = {
  exceptions: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/governance/exceptions',
    summary: 'The exceptions log: significant drops, reconciliation mismatches, recalculations, survey and sampling changes and rebaselines, with root causes, plans and the audit trail',
    request: { query: ExceptionsQuery },
    responses: { 200: json(z.object({ unitId: z.string(), items: z.array(ExceptionItem), truncated: z.boolean() }).openapi('GovernanceExceptions'), 'Newest first'), ...errors(...AUTHED) },
  }),
  quality: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/governance/quality',
    summary:
      'Data quality and fatigue per period: flagged, excluded and included answers, skips by delivery rule, bounces and dead deliveries, over-surveyed contacts, late and dropped follow-ups, each with its trend',
    request: { query: QualityQuery },
    responses: { 200: json(Quality, 'The series and trends'), ...errors(...AUTHED) },
  }),
  representativeness: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/governance/representativeness',
    summary: 'Invited against respondents per group in a period: response rates with intervals, under-represented groups, post-stratification weights and a sampling suggestion',
    request: { query: RepresentativenessQuery },
    responses: { 200: json(Representativeness, 'The review of representativeness'), ...errors(...AUTHED) },
  }),
  sampling: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/touchpoints/{id}/sampling',
    summary: "Sets a touchpoint's sampling rates per segment (e.g. the review's suggestion); audited with the reason",
    request: { params: IdParam, body: jsonBody(Sampling) },
    responses: {
      200: json(z.object({ touchpointId: z.string(), sampling: z.record(z.string(), z.number()), previous: z.record(z.string(), z.number()).nullable() }), 'Applied'),
      ...errors(...AUTHED),
    },
  }),
};

export const governanceRoutes = createRouter()
  .openapi(routes.exceptions, async (c) => c.json(await exceptionsLog(deps(c), c.req.valid('query')), 200))
  .openapi(routes.quality, async (c) => c.json(await dataQuality(deps(c), c.req.valid('query')), 200))
  .openapi(routes.representativeness, async (c) => c.json(await representativeness(deps(c), c.req.valid('query')), 200))
  .openapi(routes.sampling, async (c) => c.json(await applySampling(deps(c), c.req.valid('param').id, c.req.valid('json')), 200));
