import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { ACCOUNT_OUTCOMES, CASE_KINDS, CASE_STATUSES, STAKEHOLDER_ROLES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { putAccount, readAccount } from './accounts';
import { accountHistory } from './history';
import { addOutcome } from './outcomes';
import { atRisk, modelCard, npsImpactReport, requestTraining } from './risk';
import { MAX_SIGNAL_VALUES, putSignals } from './signals';

const tags = ['accounts'];

/** Words of the accounts' own paths: no account may be called by them. */
const RESERVED = new Set(['signals', 'at-risk']);
const accountKey = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s/\\]+$/, 'no spaces or slashes')
  .refine((k) => !RESERVED.has(k), 'reserved: `signals` and `at-risk` name routes');

const ExternalIdParam = z.object({
  externalId: accountKey.openapi({ param: { name: 'externalId', in: 'path' }, description: "The account's id in the caller's systems (contacts name it in `accountId`)" }),
});
const AccountIdParam = z.object({
  id: accountKey.openapi({ param: { name: 'id', in: 'path' }, description: "The account's id in the caller's systems (its `externalId`)" }),
});

const day = z.iso.date();
const AccountInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    ownerUserId: z.string().min(1).max(64).nullable().optional().openapi({ description: 'The user who owns the account: told when it becomes at risk' }),
    unitId: z.string().min(1).max(64).openapi({ description: 'The unit the account belongs to: who may read it follows from it' }),
    annualRevenue: z.number().min(0).max(1e12).nullable().optional(),
    renewalDate: day.nullable().optional(),
    segment: z.string().trim().min(1).max(100).nullable().optional(),
    attributes: z
      .record(z.string().min(1).max(100), z.unknown())
      .refine((a) => JSON.stringify(a).length <= 8192, 'at most 8 KiB of JSON')
      .optional(),
  })
  .openapi('AccountInput');

const Account = z
  .object({
    externalId: z.string(),
    name: z.string(),
    ownerUserId: z.string().nullable(),
    unitId: z.string(),
    annualRevenue: z.number().nullable(),
    renewalDate: z.string().nullable(),
    segment: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Account');

const Interval = z.object({ low: z.number(), high: z.number(), level: z.number() });
const RoleScore = z.object({ nps: z.number().nullable(), n: z.number().int(), ci: Interval.nullable(), suppressed: z.boolean() });
const AccountNps = z
  .object({
    nps: z.number().nullable().openapi({ description: "Role-weighted NPS of each stakeholder's latest answer in the window; null when suppressed" }),
    n: z.number().int().openapi({ description: 'Stakeholders with an answer in the window' }),
    effectiveN: z.number().openapi({ description: 'Kish effective n of the role weights' }),
    ci: Interval.nullable().openapi({ description: 'Adjusted-Wald interval on the effective n' }),
    suppressed: z.boolean(),
    suppressedReason: z.enum(['no_answers', 'below_min_n']).optional().openapi({ description: '`below_min_n`: fewer stakeholders than the anonymity threshold (settings `minResponses`)' }),
    lowSample: z.literal(true).optional().openapi({ description: 'Effective n below the reliability threshold' }),
    weights: z.object({ decision_maker: z.number(), influencer: z.number(), user: z.number() }),
    byRole: z.object({ decision_maker: RoleScore, influencer: RoleScore, user: RoleScore }),
  })
  .openapi('AccountNps');
const AccountWithNps = Account.extend({ nps: AccountNps }).openapi('AccountWithNps');
const AccountQuery = z.strictObject({
  months: z.coerce.number().int().min(1).max(36).default(12).openapi({ description: 'The window: this many months back from now (default 12)' }),
});

const History = z
  .object({
    account: Account,
    months: z.number().int(),
    risk: z
      .object({
        probability: z.number(),
        revenueAtRisk: z.number(),
        reasons: z.array(z.object({ feature: z.string(), contribution: z.number() })),
        atRisk: z.boolean(),
        crossedAt: z.string().nullable(),
        computedAt: z.string(),
      })
      .nullable()
      .openapi({ description: 'The latest scoring (null before the first, or once churned)' }),
    nps: z
      .array(z.object({ month: z.string(), role: z.enum(STAKEHOLDER_ROLES), nps: z.number().nullable(), n: z.number().int(), ci: Interval.nullable(), suppressed: z.boolean() }))
      .openapi({ description: "Per month (UTC) and stakeholder role with answers: the NPS of that role's answers in the month, suppressed below the tenant's minimum" }),
    signals: z.array(z.object({ signal: z.string(), name: z.string(), values: z.array(z.object({ date: z.string(), value: z.number() })) })),
    outcomes: z.array(z.object({ type: z.enum(ACCOUNT_OUTCOMES), occurredAt: z.string(), revenueDelta: z.number().nullable() })),
    cases: z.array(
      z.object({
        id: z.string(),
        kind: z.enum(CASE_KINDS),
        status: z.enum(CASE_STATUSES),
        score: z.number().int().nullable(),
        ownerUserId: z.string().nullable(),
        createdAt: z.string(),
        resolvedAt: z.string().nullable(),
        closedAt: z.string().nullable(),
      }),
    ),
  })
  .openapi('AccountHistory');

const OutcomeInput = z
  .strictObject({
    type: z.enum(ACCOUNT_OUTCOMES),
    occurredAt: z.iso.datetime({ offset: true }).openapi({ description: 'When it happened; not in the future' }),
    revenueDelta: z.number().min(-1e12).max(1e12).nullable().optional().openapi({ description: 'The change in annual revenue it brought (negative for a churn or contraction)' }),
  })
  .openapi('AccountOutcomeInput');
const Outcome = z
  .object({
    id: z.string(),
    accountId: z.string(),
    type: z.enum(ACCOUNT_OUTCOMES),
    occurredAt: z.string().openapi({ format: 'date-time' }),
    revenueDelta: z.number().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('AccountOutcome');

// Loose on purpose: each row is checked on its own and reported, not the whole call refused.
const SignalRow = z
  .object({
    accountId: z.unknown().optional().openapi({ type: 'string', description: "The account's external id" }),
    signal: z.unknown().optional().openapi({ type: 'string', description: 'A declared signal: a measure with source `account`' }),
    date: z.unknown().optional().openapi({ type: 'string', description: 'YYYY-MM-DD' }),
    value: z.unknown().optional().openapi({ type: 'number' }),
  })
  .openapi('AccountSignalValue');
const Signals = z.strictObject({ values: z.array(SignalRow) }).openapi('AccountSignalValues');
const SignalsResult = z
  .object({
    accepted: z.number().int(),
    rejected: z.array(
      z.object({
        row: z.number().int().openapi({ description: 'The index in `values`, from 1' }),
        accountId: z.string().optional(),
        signal: z.string().optional(),
        date: z.string().optional(),
        reason: z.string(),
      }),
    ),
  })
  .openapi('AccountSignalsResult');

const Reason = z.object({
  feature: z.string(),
  contribution: z.number().openapi({ description: 'logistic: βⱼ·zⱼ, the log-odds this feature adds against the average account; rules: the points of the rule hit' }),
});
const AtRiskQuery = z.strictObject({
  unitId: z.string().min(1).max(64).optional().openapi({ description: "Accounts of this unit's subtree; default the root" }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const AtRisk = z
  .object({
    model: z.object({
      kind: z.enum(['logistic', 'rules']).openapi({ description: '`rules` until 30 churns are recorded (a rules score, not an estimated probability)' }),
      auc: z.number().optional().openapi({ description: 'AUC on the held-out newest months at training' }),
      trainedAt: z.string().optional().openapi({ format: 'date-time' }),
    }),
    items: z.array(
      z.object({
        accountId: z.string(),
        name: z.string(),
        probability: z.number(),
        revenueAtRisk: z.number().openapi({ description: 'probability × annual revenue' }),
        reasons: z.array(Reason),
        ownerUserId: z.string().nullable(),
      }),
    ),
  })
  .openapi('AccountsAtRisk');

const Interval2 = z.object({ low: z.number(), high: z.number() });
const Calibration = z.object({ low: z.number(), high: z.number(), n: z.number().int(), meanPredicted: z.number(), observedRate: z.number() });
const ChurnCard = z
  .object({
    kind: z.enum(['logistic', 'rules']),
    trainedAt: z.string(),
    horizonDays: z.number().int(),
    features: z.array(z.string()).optional(),
    lambda: z.number().optional(),
    coefficients: z.array(z.object({ feature: z.string(), beta: z.number(), ci: Interval2 })).optional(),
    intervals: z.object({ method: z.enum(['bootstrap', 'wald']), resamples: z.number().int().nullable(), level: z.number(), seed: z.number().int() }).optional(),
    standardisation: z.object({ mean: z.array(z.number()), sd: z.array(z.number()) }).optional(),
    imputation: z.array(z.number()).optional(),
    rows: z.number().int().optional(),
    accounts: z.number().int().optional(),
    churns: z.number().int(),
    lastLabelledMonth: z.string().optional(),
    validation: z
      .object({
        trainFrom: z.string(),
        trainTo: z.string(),
        testFrom: z.string(),
        testTo: z.string(),
        trainRows: z.number().int(),
        testRows: z.number().int(),
        testChurns: z.number().int(),
        auc: z.number().nullable(),
        brier: z.number().nullable(),
        calibration: z.array(Calibration),
      })
      .nullable()
      .optional(),
    validationNote: z.string().optional(),
    drift: z
      .object({ auc: z.number().nullable(), trainingAuc: z.number().nullable(), rows: z.number().int(), churns: z.number().int(), measuredAt: z.string(), drifted: z.boolean() })
      .nullable()
      .optional(),
    converged: z.boolean().optional(),
    minChurns: z.number().int().optional(),
    rules: z.array(z.object({ feature: z.string(), when: z.string(), points: z.number() })).optional(),
    base: z.number().optional(),
    note: z.string().optional(),
  })
  .openapi('ChurnModelCard');
const ModelCard = z
  .object({ status: z.enum(['ready', 'pending', 'untrained']), card: ChurnCard.nullable() })
  .openapi('ChurnModel', { description: 'The kept card; `pending` while a training runs, `untrained` before the first' });
const Training = z.object({ status: z.literal('pending'), retryAfterSeconds: z.number().int() }).openapi('ChurnTraining');

const Range = z.object({ value: z.number(), low: z.number(), high: z.number() });
const ImpactQuery = z.strictObject({ segment: z.string().min(1).max(100).optional().openapi({ description: "Only this segment (the account's `segment`; `unknown` for none)" }) });
const Impact = z
  .object({
    available: z.boolean(),
    reason: z.string().optional(),
    trainedAt: z.string().optional(),
    auc: z.number().nullable().optional(),
    points: z.number().int(),
    items: z.array(
      z.object({
        segment: z.string(),
        accounts: z.number().int(),
        revenue: z.number(),
        probability: z.number().openapi({ description: 'Mean churn probability within the horizon now' }),
        deltaProbability: Range.openapi({ description: 'Mean change in that probability with 10 more points of account NPS; the range from the ends of the NPS coefficient interval' }),
        deltaRevenueAtRisk: Range.openapi({ description: 'Change in Σ probability × annual revenue (negative: revenue kept)' }),
      }),
    ),
  })
  .openapi('NpsImpact');

const routes = {
  impact: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/analytics/nps-impact',
    summary: 'What NPS is worth: the modelled change in churn probability and revenue at risk for 10 more points of account NPS, by segment',
    description: 'Score readers on the root. From the last training of the logistic churn model (docs/accounts.md "What NPS is worth"); `available: false` before it.',
    request: { query: ImpactQuery },
    responses: { 200: json(Impact, 'The effect by segment'), ...errors(...AUTHED) },
  }),
  atRisk: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/accounts/at-risk',
    summary: 'Accounts by revenue at risk: the probability of churning within the horizon, its reasons, the owner',
    description: 'score.read on the unit (a manager: its subtree). From the risks the churn job kept (docs/accounts.md "Churn model").',
    request: { query: AtRiskQuery },
    responses: { 200: json(AtRisk, 'The accounts at risk'), ...errors(...AUTHED) },
  }),
  model: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/models/churn',
    summary: 'The churn model card: features, coefficients with bootstrap intervals, AUC, Brier score, calibration bins, drift',
    description: 'Anyone who reads scores. A rules card before 30 churns.',
    responses: { 200: json(ModelCard, 'The model card'), ...errors(...AUTHED) },
  }),
  train: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/models/churn/train',
    summary: 'Train the churn model now (a queue job) and score the accounts',
    description: 'Contact admin (admin on the root). Audited. The card shows `pending` until the job has run.',
    responses: { 202: json(Training, 'Training queued'), ...errors(...AUTHED) },
  }),
  signals: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'put',
    path: '/api/v1/accounts/signals',
    summary: `Load up to ${MAX_SIGNAL_VALUES} daily behaviour signal values of accounts`,
    description:
      'Contact admin (admin on the root). Idempotent per (account, signal, date). A signal not declared (POST /api/v1/measures with `source: "account"`) refuses the call whole (422, nothing loaded); ' +
      'each other row that is not right (an unknown account, a date that is not a calendar day or out of range, a value that is not a number, a repeat) is listed with its reason and the others commit together, audited. ' +
      `Over ${MAX_SIGNAL_VALUES} rows: 413, nothing loaded.`,
    request: { body: jsonBody(Signals) },
    responses: { 200: json(SignalsResult, 'What was loaded and what was refused'), ...errors(...AUTHED, 422) },
  }),
  put: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'put',
    path: '/api/v1/accounts/{externalId}',
    summary: 'Create or replace a B2B account by its external id',
    description: 'Contact admin (admin on the root). Every field is set: an optional field left out is cleared. The unit and owner must exist (422). 201 when created, 200 when replaced; audited.',
    request: { params: ExternalIdParam, body: jsonBody(AccountInput) },
    responses: { 200: json(Account, 'Replaced'), 201: json(Account, 'Created'), ...errors(...AUTHED, 409, 422) },
  }),
  get: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/accounts/{externalId}',
    summary: 'One account with its role-weighted NPS, interval and n, and the NPS of each stakeholder role',
    description: 'score.read on the account\'s unit; an account outside your reach is not found. docs/accounts.md "Account NPS".',
    request: { params: ExternalIdParam, query: AccountQuery },
    responses: { 200: json(AccountWithNps, 'The account'), ...errors(...AUTHED) },
  }),
  history: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/accounts/{externalId}/history',
    summary: "An account's page: NPS per month and stakeholder role, behaviour signals, outcomes, cases and its latest churn risk",
    description: 'score.read on the account\'s unit; an account outside your reach is not found. docs/accounts.md "The account\'s history".',
    request: { params: ExternalIdParam, query: AccountQuery },
    responses: { 200: json(History, 'The account over time'), ...errors(...AUTHED) },
  }),
  outcome: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/accounts/{id}/outcomes',
    summary: 'Record an outcome of an account: renewed, churned, expanded or contracted',
    description: 'Contact admin (admin on the root). An unknown account is 404, an outcome in the future 422; nothing is written then. Audited.',
    request: { params: AccountIdParam, body: jsonBody(OutcomeInput) },
    responses: { 201: json(Outcome, 'Recorded'), ...errors(...AUTHED, 422) },
  }),
};

export const accountRoutes = createRouter()
  // The fixed paths first: `signals` and `at-risk` are no accounts.
  .openapi(routes.impact, async (c) => c.json(await npsImpactReport(deps(c), c.req.valid('query')), 200))
  .openapi(routes.atRisk, async (c) => c.json(await atRisk(deps(c), c.req.valid('query')), 200))
  .openapi(routes.model, async (c) => c.json(await modelCard(deps(c)), 200))
  .openapi(routes.train, async (c) => {
    const out = await requestTraining(deps(c));
    c.header('retry-after', String(out.retryAfterSeconds));
    return c.json(out, 202);
  })
  .openapi(routes.signals, async (c) => c.json(await putSignals(deps(c), c.req.valid('json').values), 200))
  .openapi(routes.put, async (c) => {
    const { account, created } = await putAccount(deps(c), c.req.valid('param').externalId, c.req.valid('json'));
    return created ? c.json(account, 201) : c.json(account, 200);
  })
  .openapi(routes.get, async (c) => c.json(await readAccount(deps(c), c.req.valid('param').externalId, c.req.valid('query')), 200))
  .openapi(routes.history, async (c) => c.json(await accountHistory(deps(c), c.req.valid('param').externalId, c.req.valid('query')), 200))
  .openapi(routes.outcome, async (c) => c.json(await addOutcome(deps(c), c.req.valid('param').id, c.req.valid('json')), 201));
