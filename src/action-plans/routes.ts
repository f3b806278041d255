import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { ACTION_PLAN_STATUSES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { createPlan, getPlan, listPlans, planOwners, updatePlan } from './plans';

const tags = ['action plans'];

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');
const id = z.string().min(1).max(64);
const text = z.string().trim().min(1).max(4000);

const CreatePlan = z
  .strictObject({
    unitId: id.openapi({ description: 'The unit (with its subtree) the plan acts on' }),
    title: z.string().trim().min(1).max(200),
    description: text.optional(),
    theme: z.string().trim().min(1).max(100).optional().openapi({ description: 'The detractor theme it answers' }),
    alertId: id.optional().openapi({ description: 'The alert it answers (within reach)' }),
    ownerUserId: id.optional(),
    status: z.enum(ACTION_PLAN_STATUSES).default('planned'),
    dueOn: day.optional(),
    beforeFrom: day.optional(),
    beforeTo: day.optional(),
    afterFrom: day.optional(),
    afterTo: day.optional(),
  })
  .openapi('CreateActionPlan');

const UpdatePlan = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: text.nullable().optional(),
    theme: z.string().trim().min(1).max(100).nullable().optional().openapi({ description: 'The detractor theme it answers; null: none' }),
    status: z.enum(ACTION_PLAN_STATUSES).optional(),
    ownerUserId: id.nullable().optional(),
    dueOn: day.nullable().optional(),
    beforeFrom: day.nullable().optional(),
    beforeTo: day.nullable().optional(),
    afterFrom: day.nullable().optional(),
    afterTo: day.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateActionPlan');

const ListQuery = z.strictObject({
  unitId: id.optional().openapi({ description: 'Plans on this unit and its subtree' }),
  status: z.enum(ACTION_PLAN_STATUSES).optional(),
  ownerUserId: id.optional(),
});

const PlanSchema = z
  .object({
    id: z.string(),
    unitId: z.string(),
    unitName: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    theme: z.string().nullable(),
    alertId: z.string().nullable(),
    ownerUserId: z.string().nullable(),
    ownerName: z.string().nullable().openapi({ description: "The owner's name (their email when they have none); null without an owner" }),
    status: z.enum(ACTION_PLAN_STATUSES),
    dueOn: z.string().nullable(),
    beforeFrom: z.string().nullable(),
    beforeTo: z.string().nullable(),
    afterFrom: z.string().nullable(),
    afterTo: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ActionPlan');

const WindowScore = z
  .object({
    from: z.string(),
    to: z.string(),
    nps: z.number().nullable(),
    n: z.number().int(),
    ci: z.object({ low: z.number(), high: z.number(), level: z.number() }).nullable(),
    suppressed: z.boolean(),
    suppressedReason: z.enum(['no_answers', 'below_min_n', 'not_for_individual_evaluation']).optional(),
    lowSample: z.literal(true).optional().openapi({ description: 'Shown from fewer answers than the reliability threshold' }),
    theme: z
      .object({ comments: z.number().int(), share: z.number() })
      .optional()
      .openapi({ description: "When the plan's theme is a library theme: the window's analysed comments mentioning it and their share (docs/themes.md)" }),
  })
  .nullable()
  .openapi({ description: "The NPS of the unit's subtree over the window (null without a window); suppressed under the minimum n" });

const PlanWithScores = PlanSchema.extend({ before: WindowScore, after: WindowScore }).openapi('ActionPlanWithScores');

const OwnersQuery = z.strictObject({ unitId: id.openapi({ description: 'The unit the plan is on' }) });
const Owner = z.object({ id: z.string(), name: z.string(), email: z.string() }).openapi('PlanOwner');

const routes = {
  owners: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/action-plans/owners',
    summary: 'People who can own a plan on a unit: active admins and managers of the unit, above or below it',
    request: { query: OwnersQuery },
    responses: { 200: json(z.object({ items: z.array(Owner) }), 'Possible owners'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/action-plans',
    summary: 'An action plan on a unit: from a theme or an alert, with owner, due date and the windows whose NPS is compared',
    request: { body: jsonBody(CreatePlan) },
    responses: { 201: json(PlanSchema, 'Created'), ...errors(...AUTHED) },
  }),
  list: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/action-plans',
    summary: 'Action plans of units in reach, newest first',
    request: { query: ListQuery },
    responses: { 200: json(z.object({ items: z.array(PlanSchema) }), 'Plans'), ...errors(...AUTHED) },
  }),
  get: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/action-plans/{id}',
    summary: 'One action plan with the NPS of its unit over the before and after windows',
    request: { params: IdParam },
    responses: { 200: json(PlanWithScores, 'The plan'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'patch',
    path: '/api/v1/action-plans/{id}',
    summary: 'Change status, owner, due date, windows, title, description or theme; audited',
    request: { params: IdParam, body: jsonBody(UpdatePlan) },
    responses: { 200: json(PlanSchema, 'Updated'), ...errors(...AUTHED) },
  }),
};

export const actionPlanRoutes = createRouter()
  .openapi(routes.create, async (c) => c.json(await createPlan(deps(c), c.req.valid('json')), 201))
  .openapi(routes.list, async (c) => c.json({ items: await listPlans(deps(c), c.req.valid('query')) }, 200))
  // Before `/{id}`: the literal path must win over the parameter.
  .openapi(routes.owners, async (c) => c.json({ items: await planOwners(deps(c), c.req.valid('query').unitId) }, 200))
  .openapi(routes.get, async (c) => c.json(await getPlan(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    return c.json(await updatePlan(deps(c), c.req.valid('param').id, patch), 200);
  });
