import { and, asc, desc, eq, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, reach } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { type ACTION_PLAN_STATUSES, actionPlans, alerts, roleGrants, themeLibrary, units, users } from '../db/schema';
import { countQueries, countsFrom, periodScope } from '../comments/counts';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { getUnit, type Unit } from '../org/units';
import { scoreReport } from '../scores/report';

/*
 * Action plans: what a unit does about a theme or an alert, with an owner, a due date and the
 * windows before and after whose NPS is compared. Read by units in the caller's plan.read
 * reach; written with plan.write on the unit; every change audited.
 */

type Plan = typeof actionPlans.$inferSelect;
type PlanStatus = (typeof ACTION_PLAN_STATUSES)[number];
const iso = (ms: number) => new Date(ms).toISOString();

type WindowEnds = 'beforeFrom' | 'beforeTo' | 'afterFrom' | 'afterTo';
const WINDOWS = [
  ['beforeFrom', 'beforeTo'],
  ['afterFrom', 'afterTo'],
] as const;
type Windows = Partial<Record<WindowEnds, string | null>>;

export interface NewPlan extends Partial<Record<WindowEnds, string>> {
  unitId: string;
  title: string;
  description?: string;
  theme?: string;
  alertId?: string;
  ownerUserId?: string;
  status: PlanStatus;
  dueOn?: string;
}

export interface PlanChange extends Partial<Record<WindowEnds, string | null>> {
  title?: string;
  description?: string | null;
  theme?: string | null;
  status?: PlanStatus;
  ownerUserId?: string | null;
  dueOn?: string | null;
}

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

const present = (p: Plan, unitName: string, owner: { name: string | null; email: string | null } | null = null) => ({
  id: p.id,
  unitId: p.unitId,
  unitName,
  title: p.title,
  description: p.description,
  theme: p.theme,
  alertId: p.alertId,
  ownerUserId: p.ownerUserId,
  // The owner's name (the email when they have none); null without an owner.
  ownerName: p.ownerUserId === null ? null : owner?.name || owner?.email || null,
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
function inReach({ actor }: Pick<Deps, 'actor'>): SQL {
  const paths = reach(actor, 'plan.read');
  return or(...paths.map((p) => and(gte(units.path, p), lt(units.path, `${p.slice(0, -1)}0`))))!;
}

/** A unit the caller reads plans of, else 404 (not disclosed). */
async function planUnit({ t, actor }: Pick<Deps, 't' | 'actor'>, unitId: string): Promise<Unit> {
  const unit = await getUnit(t, unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  return unit;
}

/** A plan whose unit is in the caller's read reach, with its unit; else 404. */
async function visiblePlan({ t, actor }: Pick<Deps, 't' | 'actor'>, planId: string) {
  const [row] = await t
    .select({ plan: actionPlans, unit: units, owner: { name: users.name, email: users.email } })
    .from(actionPlans)
    .innerJoin(units, eq(units.id, actionPlans.unitId))
    .leftJoin(users, eq(users.id, actionPlans.ownerUserId))
    .where(eq(actionPlans.id, planId));
  if (!row || !can(actor, 'unit.read', row.unit.path)) throw notFound('action plan');
  if (!can(actor, 'plan.read', row.unit.path)) throw forbidden('your role does not read action plans');
  return row;
}

async function assertOwner(t: TenantDb, userId: string) {
  const [u] = await t.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, userId));
  if (!u) throw notFound('user');
  return u;
}

async function windowScore(d: Pick<Deps, 't' | 'actor'>, unit: { id: string; path: string }, from: string | null, to: string | null, themeId: string | null) {
  if (!from || !to) return null;
  const [[item], mentions] = await Promise.all([scoreReport(d, { unitId: unit.id, from, to, weight: 'none', confidence: 0.95 }), themeId ? themeMentions(d, unit.path, from, to, themeId) : null]);
  if (!item) return null;
  return {
    from,
    to,
    nps: item.nps,
    n: item.n,
    ci: item.ci,
    suppressed: item.suppressed,
    ...(item.suppressedReason ? { suppressedReason: item.suppressedReason } : {}),
    ...(item.lowSample ? { lowSample: item.lowSample } : {}),
    ...(mentions ? { theme: mentions } : {}),
  };
}

/** How many analysed comments of the window mention the plan's theme, and their share of the window's analysed comments (docs/themes.md). */
async function themeMentions(d: Pick<Deps, 't'>, path: string, from: string, to: string, themeId: string) {
  const scope = await periodScope(d.t, path, from, to);
  const [rows, totals] = await d.t.batch([...countQueries(d.t, scope)]);
  const { themes, totals: all } = countsFrom(rows, totals);
  const comments = themes.find((x) => x.theme === themeId)?.comments ?? 0;
  return { comments, share: all.comments ? Math.round((comments / all.comments) * 10_000) / 10_000 : 0 };
}

/** The library theme a plan answers, by its name (plans started from a theme carry its name). */
async function planTheme(d: Pick<Deps, 't'>, name: string | null) {
  if (!name) return null;
  const [row] = await d.t.select({ id: themeLibrary.id }).from(themeLibrary).where(sql`lower(${themeLibrary.name}) = lower(${name})`);
  return row?.id ?? null;
}

/**
 * Who can own a plan on a unit: active users of the tenant with an admin or manager grant on the
 * unit, above it (they reach it) or below it (they run part of it). Needs plan.write on the unit.
 */
export async function planOwners(d: Deps, unitId: string) {
  const unit = await planUnit(d, unitId);
  if (!can(d.actor, 'plan.write', unit.path)) throw forbidden('choosing an owner needs the manager or admin role on the unit or above it');
  const ancestors = unit.path
    .split('/')
    .filter(Boolean)
    .map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}/`);
  return d.t
    .selectDistinct({ id: users.id, name: users.name, email: users.email })
    .from(roleGrants)
    .innerJoin(units, eq(units.id, roleGrants.unitId))
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .where(
      and(
        inArray(roleGrants.role, ['admin', 'manager']),
        eq(users.status, 'active'),
        or(inArray(units.path, ancestors), and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`))),
      ),
    )
    .orderBy(asc(users.name), asc(users.email));
}

/** A plan on a unit the caller writes plans on; its owner a user of the tenant, its alert one the caller reads. */
export async function createPlan(d: Deps, body: NewPlan) {
  const { t, actor } = d;
  const unit = await planUnit(d, body.unitId);
  if (!can(actor, 'plan.write', unit.path)) throw forbidden('action plans need the manager or admin role on the unit or above it');
  const issues = windowIssues(body);
  if (issues.length) throw new ApiError('VALIDATION_FAILED', 'invalid windows', issues);
  const owner = body.ownerUserId ? await assertOwner(t, body.ownerUserId) : null;
  if (body.alertId) {
    const [a] = await t.select({ path: units.path }).from(alerts).innerJoin(units, eq(units.id, alerts.unitId)).where(eq(alerts.id, body.alertId));
    if (!a || !can(actor, 'alert.read', a.path)) throw notFound('alert');
  }
  const now = Date.now();
  // The row as stored, its tenant included: the audit record is of it (the handle sets the tenant on insert).
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
  const { tenantId: _tenant, ...row } = plan;
  await commit(t, [t.insert(actionPlans).values(row), ...(await audit(d, { action: 'action_plan.create', targetType: 'action_plan', targetId: plan.id, after: plan }))]);
  return present(plan, unit.name, owner);
}

/** Plans of units in the caller's reach (under `unitId` if given), newest first, 500 at most. */
export async function listPlans(d: Deps, q: { unitId?: string; status?: PlanStatus; ownerUserId?: string }) {
  requireAnywhere(d, 'plan.read', 'reading action plans');
  const where: SQL[] = [inReach(d)];
  if (q.unitId) {
    const unit = await planUnit(d, q.unitId);
    where.push(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
  }
  if (q.status) where.push(eq(actionPlans.status, q.status));
  if (q.ownerUserId) where.push(eq(actionPlans.ownerUserId, q.ownerUserId));
  const rows = await d.t
    .select({ plan: actionPlans, unitName: units.name, owner: { name: users.name, email: users.email } })
    .from(actionPlans)
    .innerJoin(units, eq(units.id, actionPlans.unitId))
    .leftJoin(users, eq(users.id, actionPlans.ownerUserId))
    .where(and(...where))
    .orderBy(desc(actionPlans.id))
    .limit(500);
  return rows.map((r) => present(r.plan, r.unitName, r.owner));
}

/** One plan with the NPS of its unit over the before and after windows (null without score.read on the unit). */
export async function getPlan(d: Deps, id: string) {
  const { plan, unit, owner } = await visiblePlan(d, id);
  const canScore = can(d.actor, 'score.read', unit.path);
  const themeId = canScore ? await planTheme(d, plan.theme) : null;
  const [before, after] = canScore ? await Promise.all([windowScore(d, unit, plan.beforeFrom, plan.beforeTo, themeId), windowScore(d, unit, plan.afterFrom, plan.afterTo, themeId)]) : [null, null];
  return { ...present(plan, unit.name, owner), before, after };
}

/** Changes status, owner, due date, windows, title, description or theme of a plan the caller writes; audited. */
export async function updatePlan(d: Deps, id: string, patch: PlanChange) {
  const { t, actor } = d;
  const { plan, unit, owner: current } = await visiblePlan(d, id);
  if (!can(actor, 'plan.write', unit.path)) throw forbidden('action plans need the manager or admin role on the unit or above it');
  const owner = patch.ownerUserId ? await assertOwner(t, patch.ownerUserId) : patch.ownerUserId === null ? null : current;
  const after: Plan = { ...plan };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (after as Record<string, unknown>)[k] = v;
  const issues = windowIssues(after);
  if (issues.length) throw new ApiError('VALIDATION_FAILED', 'invalid windows', issues);
  after.updatedAt = Date.now();
  const { id: _id, tenantId: _t, createdAt: _c, unitId: _u, alertId: _a, ...changes } = after;
  await commit(t, [
    t.update(actionPlans).set(changes).where(eq(actionPlans.id, plan.id)),
    ...(await audit(d, {
      action: 'action_plan.update',
      targetType: 'action_plan',
      targetId: plan.id,
      before: plan,
      after,
      details: { changed: Object.keys(patch), ...(patch.status && patch.status !== plan.status ? { fromStatus: plan.status, toStatus: patch.status } : {}) },
    })),
  ]);
  return present(after, unit.name, owner);
}
