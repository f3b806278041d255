import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { annotateAlert, listAlerts } from './log';
import { createRule, listRules } from './rules';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

const CreateRule = z
  .strictObject({
    unitId: z.string().min(1).max(64).openapi({ description: 'The unit whose subtree is scored' }),
    touchpointId: z.string().min(1).max(64).optional().openapi({ description: 'Score only this touchpoint' }),
    windowDays: z.number().int().min(1).max(90).default(7),
    baselineDays: z.number().int().min(1).max(365).optional().openapi({ description: 'The days just before the window (default 28); or give baselineFrom and baselineTo' }),
    baselineFrom: day.optional(),
    baselineTo: day.optional(),
    minDropPoints: z.number().gt(0).max(200).default(10),
    alpha: z.number().gt(0).lt(1).default(0.05).openapi({ description: 'Significance level of the two-sided test' }),
    minN: z.number().int().min(1).max(1_000_000).default(30).openapi({ description: 'Answers needed on both sides' }),
  })
  .superRefine((b, ctx) => {
    const fixed = b.baselineFrom !== undefined || b.baselineTo !== undefined;
    if (fixed && b.baselineDays !== undefined) ctx.addIssue({ code: 'custom', path: ['baselineDays'], message: 'give baselineDays or baselineFrom and baselineTo, not both' });
    if (fixed && (b.baselineFrom === undefined || b.baselineTo === undefined))
      ctx.addIssue({ code: 'custom', path: [b.baselineFrom === undefined ? 'baselineFrom' : 'baselineTo'], message: 'a fixed baseline needs both ends' });
    if (b.baselineFrom && b.baselineTo && b.baselineFrom > b.baselineTo) ctx.addIssue({ code: 'custom', path: ['baselineTo'], message: 'must not be before baselineFrom' });
  })
  .openapi('CreateAlertRule');

const RuleSchema = z
  .object({
    id: z.string(),
    unitId: z.string(),
    touchpointId: z.string().nullable(),
    windowDays: z.number().int(),
    baselineDays: z.number().int().nullable(),
    baselineFrom: z.string().nullable(),
    baselineTo: z.string().nullable(),
    minDropPoints: z.number(),
    alpha: z.number(),
    minN: z.number().int(),
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('AlertRule');

const AlertSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    unitId: z.string(),
    status: z.enum(['open', 'recovered']),
    evidence: z.record(z.string(), z.unknown()).openapi({ description: 'Window and baseline (days, NPS, n, interval), the drop in points and its p value when raised' }),
    rootCause: z.string().nullable(),
    correctiveAction: z.string().nullable(),
    recoveredAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Alert');

const text = z.string().trim().min(1).max(4000);
const UpdateAlert = z
  .strictObject({ rootCause: text.nullable().optional(), correctiveAction: text.nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give rootCause or correctiveAction')
  .openapi('UpdateAlert');
const AlertsQuery = z.strictObject({ status: z.enum(['open', 'recovered']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

const tags = ['alerts'];
const routes = {
  createRule: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/alert-rules',
    summary: 'A significant-drop rule on a unit subtree (optionally one touchpoint)',
    description:
      'Evaluated hourly: raises an alert when the window NPS is lower than the baseline by at least minDropPoints, with p < alpha (two-sided) and at least minN answers on both sides (docs/alerts.md).',
    request: { body: jsonBody(CreateRule) },
    responses: { 201: json(RuleSchema, 'Created'), ...errors(...AUTHED) },
  }),
  listRules: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/alert-rules',
    summary: 'Alert rules of units in reach',
    responses: { 200: json(z.object({ items: z.array(RuleSchema) }), 'Rules'), ...errors(...AUTHED) },
  }),
  list: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/alerts',
    summary: 'Alerts of units in reach, newest first (the exception log)',
    request: { query: AlertsQuery },
    responses: { 200: json(z.object({ items: z.array(AlertSchema) }), 'Alerts'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'patch',
    path: '/api/v1/alerts/{id}',
    summary: 'Record the root cause and corrective action of an alert',
    request: { params: IdParam, body: jsonBody(UpdateAlert) },
    responses: { 200: json(AlertSchema, 'Updated'), ...errors(...AUTHED) },
  }),
};

export const alertRoutes = createRouter()
  .openapi(routes.createRule, async (c) => c.json(await createRule(deps(c), c.req.valid('json')), 201))
  .openapi(routes.listRules, async (c) => c.json({ items: await listRules(deps(c)) }, 200))
  .openapi(routes.list, async (c) => c.json({ items: await listAlerts(deps(c), c.req.valid('query')) }, 200))
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    return c.json(await annotateAlert(deps(c), c.req.valid('param').id, patch), 200);
  });
