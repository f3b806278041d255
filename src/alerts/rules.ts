import { and, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, reach, type Action, type Actor } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { alertRules, touchpoints, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { getUnit } from '../org/units';

/*
 * Alert rules: a significant-drop rule on a unit subtree (optionally one touchpoint), evaluated
 * hourly by src/alerts/evaluate.ts (docs/alerts.md).
 */

const iso = (ms: number) => new Date(ms).toISOString();
type Rule = typeof alertRules.$inferSelect;

export interface NewRule {
  unitId: string;
  touchpointId?: string;
  windowDays: number;
  baselineDays?: number;
  baselineFrom?: string;
  baselineTo?: string;
  minDropPoints: number;
  alpha: number;
  minN: number;
}

export const presentRule = (r: Omit<Rule, 'tenantId'>) => ({
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
  createdAt: iso(r.createdAt),
});

/** Units under any of the actor's subtrees where it may do `action` (to join on `units`). */
export function unitsInReach(actor: Actor, action: Action): SQL {
  const paths = reach(actor, action);
  return or(...paths.map((p) => and(gte(units.path, p), lt(units.path, `${p.slice(0, -1)}0`))))!;
}

/** A rule on a unit the caller reads and administers (alert.manage), on a touchpoint of the tenant if one is named. */
export async function createRule(d: Deps, body: NewRule) {
  const { t, actor } = d;
  const unit = await getUnit(t, body.unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'alert.manage', unit.path)) throw forbidden('alert rules need the admin role on the unit or above it');
  if (body.touchpointId) {
    const [tp] = await t.select({ id: touchpoints.id }).from(touchpoints).where(eq(touchpoints.id, body.touchpointId));
    if (!tp) throw notFound('touchpoint');
  }
  const now = Date.now();
  const fixed = body.baselineFrom !== undefined;
  const rule = {
    id: newId('arl'),
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
  await commit(t, [t.insert(alertRules).values(rule), ...(await audit(d, { action: 'alert_rule.create', targetType: 'alert_rule', targetId: rule.id, after: presentRule(rule) }))]);
  return presentRule(rule);
}

/** The rules of units in the caller's alert.read reach. */
export async function listRules(d: Deps) {
  requireAnywhere(d, 'alert.read', 'reading alerts');
  const rows = await d.t.select({ rule: alertRules }).from(alertRules).innerJoin(units, eq(units.id, alertRules.unitId)).where(unitsInReach(d.actor, 'alert.read')).orderBy(alertRules.id);
  return rows.map((r) => presentRule(r.rule));
}
