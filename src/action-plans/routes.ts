import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, desc, eq, gte, inArray, lt, or, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, reach } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { ACTION_PLAN_STATUSES, actionPlans, alerts, roleGrants, units, users } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { getUnit, type Unit } from '../org/units';
import { scoreReport } from '../scores/report';

type Plan = typeof actionPlans.$inferSelect;
const iso = (ms: number) => new Date(ms).toISOString();
const tags = ['action plans'];

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');
const id = z.string().min(1).max(64);
const text = z.string().trim().min(1).max(4000);

const WINDOWS = [
  ['beforeFrom', 'beforeTo'],
  ['afterFrom', 'afterTo'],
] as const;
type Windows = Partial<Record<'beforeFrom' | 'beforeTo' | 'afterFrom' | 'afterTo', string | null>>;

/** Each window has both ends or none, in order. Checked on the merged record for a PATCH. */
function windowIssues(w: Windows): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  for (const [from, to] of WINDOWS) {
    const a = w[from] ?? null;
    const b = w[to] ?? null;
    if ((a === null) !== (b === null)) issues.push({ path: `body.${a === null ? from : to}`, message: 'a window needs both ends' });
    else if (a !== null && b !== null && a > b) issues.push({ path: `body.${to}`, message: `must not be before ${from}` });
  }
  return issues;
}

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
    suppressedReason: z.enum(['no_answers', 'below_min_n']).optional(),
  })
  .nullable()
  .openapi({ description: "The NPS of the unit's subtree over the window (null without a window); suppressed under the minimum n" });

const PlanWithScores = PlanSchema.extend({ before: WindowScore, after: WindowScore }).openapi('ActionPlanWithScores');

const present = (p: Plan, unitName: string) => ({
  id: p.id,
  unitId: p.unitId,
  unitName,
  title: p.title,
  description: p.description,
  theme: p.theme,
  alertId: p.alertId,
  ownerUserId: p.ownerUserId,
  status: p.status,
  dueOn: p.dueOn,
  beforeFrom: p.beforeFrom,
  beforeTo: p.beforeTo,
  afterFrom: p.afterFrom,
  afterTo: p.afterTo,
  createdAt: iso(p.createdAt),
  updatedAt: iso(p.updatedAt),
});

/** Units under any of the actor's subtrees where it may read plans. */
function inReach(c: AppContext): SQL {
  const paths = reach(c.get('actor'), 'plan.read');
  return or(...paths.map((p) => and(gte(units.path, p), lt(units.path, `${p.slice(0, -1)}0`))))!;
}

/** A unit the caller reads plans of, else 404 (not disclosed). */
async function planUnit(c: AppContext, unitId: string): Promise<Unit> {
  const actor = c.get('actor');
  const unit = await getUnit(c.get('tdb'), unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  return unit;
}

/** A plan whose unit is in the caller's read reach, with its unit; else 404. */
async function visiblePlan(c: AppContext, planId: string) {
  const actor = c.get('actor');
  const [row] = await c
    .get('db')
    .select({ plan: actionPlans, unit: units })
    .from(actionPlans)
    .innerJoin(units, and(eq(units.tenantId, actionPlans.tenantId), eq(units.id, actionPlans.unitId)))
    .where(and(eq(actionPlans.tenantId, actor.tenantId), eq(actionPlans.id, planId)));
  if (!row || !can(actor, 'unit.read', row.unit.path)) throw notFound('action plan');
  if (!can(actor, 'plan.read', row.unit.path)) throw forbidden('your role does not read action plans');
  return row;
}

async function assertOwner(c: AppContext, userId: string) {
  const [u] = await c
    .get('db')
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, c.get('actor').tenantId), eq(users.id, userId)));
  if (!u) throw notFound('user');
}

async function windowScore(c: AppContext, unitId: string, from: string | null, to: string | null) {
  if (!from || !to) return null;
  const [item] = await scoreReport(deps(c), { unitId, from, to, weight: 'none', confidence: 0.95 });
  if (!item) return null;
  return { from, to, nps: item.nps, n: item.n, ci: item.ci, suppressed: item.suppressed, ...(item.suppressedReason ? { suppressedReason: item.suppressedReason } : {}) };
}

const OwnersQuery = z.strictObject({ unitId: id.openapi({ description: 'The unit the plan is on' }) });
const Owner = z.object({ id: z.string(), name: z.string(), email: z.string() }).openapi('PlanOwner');

/**
 * Who can own a plan on a unit: active users of the tenant with an admin or manager grant on the
 * unit, above it (they reach it) or below it (they run part of it).
 */
async function possibleOwners(c: AppContext, unit: Unit) {
  const ancestors = unit.path
    .split('/')
    .filter(Boolean)
    .map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}/`);
  return c
    .get('db')
    .selectDistinct({ id: users.id, name: users.name, email: users.email })
    .from(roleGrants)
    .innerJoin(units, and(eq(units.tenantId, roleGrants.tenantId), eq(units.id, roleGrants.unitId)))
    .innerJoin(users, and(eq(users.tenantId, roleGrants.tenantId), eq(users.id, roleGrants.userId)))
    .where(
      and(
        eq(roleGrants.tenantId, unit.tenantId),
        inArray(roleGrants.role, ['admin', 'manager']),
        eq(users.status, 'active'),
        or(inArray(units.path, ancestors), and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`))),
      ),
    )
    .orderBy(asc(users.name), asc(users.email));
}

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
    summary: 'Change status, owner, due date, windows, title or description; audited',
    request: { params: IdParam, body: jsonBody(UpdatePlan) },
    responses: { 200: json(PlanSchema, 'Updated'), ...errors(...AUTHED) },
  }),
};

export const actionPlanRoutes = createRouter()
  .openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const actor = c.get('actor');
    const db = c.get('db');
    const unit = await planUnit(c, body.unitId);
    if (!can(actor, 'plan.write', unit.path)) throw forbidden('action plans need the manager or admin role on the unit or above it');
    const issues = windowIssues(body);
    if (issues.length) throw new ApiError('VALIDATION_FAILED', 'invalid windows', issues);
    if (body.ownerUserId) await assertOwner(c, body.ownerUserId);
    if (body.alertId) {
      const [a] = await db
        .select({ path: units.path })
        .from(alerts)
        .innerJoin(units, and(eq(units.tenantId, alerts.tenantId), eq(units.id, alerts.unitId)))
        .where(and(eq(alerts.tenantId, actor.tenantId), eq(alerts.id, body.alertId)));
      if (!a || !can(actor, 'alert.read', a.path)) throw notFound('alert');
    }
    const now = Date.now();
    const plan: Plan = {
      id: newId('apl'),
      tenantId: actor.tenantId,
      unitId: unit.id,
      title: body.title,
      description: body.description ?? null,
      theme: body.theme ?? null,
      alertId: body.alertId ?? null,
      ownerUserId: body.ownerUserId ?? null,
      status: body.status,
      dueOn: body.dueOn ?? null,
      beforeFrom: body.beforeFrom ?? null,
      beforeTo: body.beforeTo ?? null,
      afterFrom: body.afterFrom ?? null,
      afterTo: body.afterTo ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await commit(db, [db.insert(actionPlans).values(plan), ...(await audit(deps(c), { action: 'action_plan.create', targetType: 'action_plan', targetId: plan.id, after: plan }))]);
    return c.json(present(plan, unit.name), 201);
  })
  .openapi(routes.list, async (c) => {
    requireAnywhere(deps(c), 'plan.read', 'reading action plans');
    const actor = c.get('actor');
    const q = c.req.valid('query');
    const where: SQL[] = [eq(actionPlans.tenantId, actor.tenantId), inReach(c)];
    if (q.unitId) {
      const unit = await planUnit(c, q.unitId);
      where.push(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
    }
    if (q.status) where.push(eq(actionPlans.status, q.status));
    if (q.ownerUserId) where.push(eq(actionPlans.ownerUserId, q.ownerUserId));
    const rows = await c
      .get('db')
      .select({ plan: actionPlans, unitName: units.name })
      .from(actionPlans)
      .innerJoin(units, and(eq(units.tenantId, actionPlans.tenantId), eq(units.id, actionPlans.unitId)))
      .where(and(...where))
      .orderBy(desc(actionPlans.id))
      .limit(500);
    return c.json({ items: rows.map((r) => present(r.plan, r.unitName)) }, 200);
  })
  // Before `/{id}`: the literal path must win over the parameter.
  .openapi(routes.owners, async (c) => {
    const unit = await planUnit(c, c.req.valid('query').unitId);
    if (!can(c.get('actor'), 'plan.write', unit.path)) throw forbidden('choosing an owner needs the manager or admin role on the unit or above it');
    return c.json({ items: await possibleOwners(c, unit) }, 200);
  })
  .openapi(routes.get, async (c) => {
    const { plan, unit } = await visiblePlan(c, c.req.valid('param').id);
    const canScore = can(c.get('actor'), 'score.read', unit.path);
    const [before, after] = canScore ? await Promise.all([windowScore(c, unit.id, plan.beforeFrom, plan.beforeTo), windowScore(c, unit.id, plan.afterFrom, plan.afterTo)]) : [null, null];
    return c.json({ ...present(plan, unit.name), before, after }, 200);
  })
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    const actor = c.get('actor');
    const db = c.get('db');
    const { plan, unit } = await visiblePlan(c, c.req.valid('param').id);
    if (!can(actor, 'plan.write', unit.path)) throw forbidden('action plans need the manager or admin role on the unit or above it');
    if (patch.ownerUserId) await assertOwner(c, patch.ownerUserId);
    const after: Plan = { ...plan };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (after as Record<string, unknown>)[k] = v;
    const issues = windowIssues(after);
    if (issues.length) throw new ApiError('VALIDATION_FAILED', 'invalid windows', issues);
    after.updatedAt = Date.now();
    const { id: _id, tenantId: _t, createdAt: _c, unitId: _u, theme: _th, alertId: _a, ...changes } = after;
    await commit(db, [
      db
        .update(actionPlans)
        .set(changes)
        .where(and(eq(actionPlans.tenantId, actor.tenantId), eq(actionPlans.id, plan.id))),
      ...(await audit(deps(c), {
        action: 'action_plan.update',
        targetType: 'action_plan',
        targetId: plan.id,
        before: plan,
        after,
        details: { changed: Object.keys(patch), ...(patch.status && patch.status !== plan.status ? { fromStatus: plan.status, toStatus: patch.status } : {}) },
      })),
    ]);
    return c.json(present(after, unit.name), 200);
  });
