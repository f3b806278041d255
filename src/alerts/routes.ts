import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, reach } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { alertRules, alerts, touchpoints, units } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { getUnit } from '../org/units';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
type Rule = typeof alertRules.$inferSelect;
type Alert = typeof alerts.$inferSelect;

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

const presentRule = (r: Rule) => ({
  id: r.id,
  unitId: r.unitId,
  touchpointId: r.touchpointId,
  windowDays: r.windowDays,
  baselineDays: r.baselineDays,
  baselineFrom: r.baselineFrom,
  baselineTo: r.baselineTo,
  minDropPoints: r.minDropPoints,
  alpha: r.alpha,
  minN: r.minN,
  active: r.active,
  createdAt: iso(r.createdAt)!,
});
const presentAlert = (a: Alert) => ({
  id: a.id,
  ruleId: a.ruleId,
  unitId: a.unitId,
  status: a.status,
  evidence: a.evidence,
  rootCause: a.rootCause,
  correctiveAction: a.correctiveAction,
  recoveredAt: iso(a.recoveredAt),
  createdAt: iso(a.createdAt)!,
  updatedAt: iso(a.updatedAt)!,
});

/** Units under any of the actor's subtrees where it may read alerts. */
function inReach(c: AppContext): SQL {
  const paths = reach(c.get('actor'), 'alert.read');
  return or(...paths.map((p) => and(gte(units.path, p), lt(units.path, `${p.slice(0, -1)}0`))))!;
}

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
  .openapi(routes.createRule, async (c) => {
    const body = c.req.valid('json');
    const actor = c.get('actor');
    const db = c.get('db');
    const unit = await getUnit(c.get('tdb'), body.unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    if (!can(actor, 'alert.manage', unit.path)) throw forbidden('alert rules need the admin role on the unit or above it');
    if (body.touchpointId) {
      const [tp] = await db
        .select({ id: touchpoints.id })
        .from(touchpoints)
        .where(and(eq(touchpoints.tenantId, actor.tenantId), eq(touchpoints.id, body.touchpointId)));
      if (!tp) throw notFound('touchpoint');
    }
    const now = Date.now();
    const fixed = body.baselineFrom !== undefined;
    const rule: Rule = {
      id: newId('arl'),
      tenantId: actor.tenantId,
      unitId: unit.id,
      touchpointId: body.touchpointId ?? null,
      windowDays: body.windowDays,
      baselineDays: fixed ? null : (body.baselineDays ?? 28),
      baselineFrom: body.baselineFrom ?? null,
      baselineTo: body.baselineTo ?? null,
      minDropPoints: body.minDropPoints,
      alpha: body.alpha,
      minN: body.minN,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    await commit(db, [db.insert(alertRules).values(rule), ...(await audit(deps(c), { action: 'alert_rule.create', targetType: 'alert_rule', targetId: rule.id, after: presentRule(rule) }))]);
    return c.json(presentRule(rule), 201);
  })
  .openapi(routes.listRules, async (c) => {
    requireAnywhere(deps(c), 'alert.read', 'reading alerts');
    const rows = await c
      .get('db')
      .select({ rule: alertRules })
      .from(alertRules)
      .innerJoin(units, and(eq(units.tenantId, alertRules.tenantId), eq(units.id, alertRules.unitId)))
      .where(and(eq(alertRules.tenantId, c.get('actor').tenantId), inReach(c)))
      .orderBy(alertRules.id);
    return c.json({ items: rows.map((r) => presentRule(r.rule)) }, 200);
  })
  .openapi(routes.list, async (c) => {
    requireAnywhere(deps(c), 'alert.read', 'reading alerts');
    const { status, limit } = c.req.valid('query');
    const rows = await c
      .get('db')
      .select({ alert: alerts })
      .from(alerts)
      .innerJoin(units, and(eq(units.tenantId, alerts.tenantId), eq(units.id, alerts.unitId)))
      .where(and(eq(alerts.tenantId, c.get('actor').tenantId), inReach(c), status ? eq(alerts.status, status) : undefined))
      .orderBy(desc(alerts.createdAt), desc(alerts.id))
      .limit(limit);
    return c.json({ items: rows.map((r) => presentAlert(r.alert)) }, 200);
  })
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    const actor = c.get('actor');
    const db = c.get('db');
    const [row] = await db
      .select({ alert: alerts, path: units.path })
      .from(alerts)
      .innerJoin(units, and(eq(units.tenantId, alerts.tenantId), eq(units.id, alerts.unitId)))
      .where(and(eq(alerts.tenantId, actor.tenantId), eq(alerts.id, c.req.valid('param').id)));
    if (!row || !can(actor, 'unit.read', row.path)) throw notFound('alert');
    if (!can(actor, 'alert.annotate', row.path)) throw forbidden('recording root causes needs the manager or admin role on the unit');
    const now = Date.now();
    const after: Alert = {
      ...row.alert,
      rootCause: patch.rootCause === undefined ? row.alert.rootCause : patch.rootCause,
      correctiveAction: patch.correctiveAction === undefined ? row.alert.correctiveAction : patch.correctiveAction,
      updatedAt: now,
    };
    await commit(db, [
      db
        .update(alerts)
        .set({ rootCause: after.rootCause, correctiveAction: after.correctiveAction, updatedAt: now })
        .where(and(eq(alerts.tenantId, actor.tenantId), eq(alerts.id, row.alert.id))),
      ...(await audit(deps(c), {
        action: 'alert.annotate',
        targetType: 'alert',
        targetId: row.alert.id,
        before: presentAlert(row.alert),
        after: presentAlert(after),
        details: { changed: Object.keys(patch) },
      })),
    ]);
    return c.json(presentAlert(after), 200);
  });
