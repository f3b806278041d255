import { and, desc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { alerts, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';
import { unitsInReach } from './rules';

/*
 * The exception log: the alerts raised by src/alerts/evaluate.ts, read by units in reach and
 * annotated with their root cause and corrective action.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
type Alert = typeof alerts.$inferSelect;
type AlertStatus = Alert['status'];

export const presentAlert = (a: Alert) => ({
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

/** Alerts of units in the caller's alert.read reach, newest first. */
export async function listAlerts(d: Deps, q: { status?: AlertStatus; limit: number }) {
  requireAnywhere(d, 'alert.read', 'reading alerts');
  const rows = await d.t
    .select({ alert: alerts })
    .from(alerts)
    .innerJoin(units, eq(units.id, alerts.unitId))
    .where(and(unitsInReach(d.actor, 'alert.read'), q.status ? eq(alerts.status, q.status) : undefined))
    .orderBy(desc(alerts.createdAt), desc(alerts.id))
    .limit(q.limit);
  return rows.map((r) => presentAlert(r.alert));
}

/** Records the root cause and corrective action of an alert (a null clears one); audited. */
export async function annotateAlert(d: Deps, id: string, patch: { rootCause?: string | null; correctiveAction?: string | null }) {
  const { t, actor } = d;
  const [row] = await t.select({ alert: alerts, path: units.path }).from(alerts).innerJoin(units, eq(units.id, alerts.unitId)).where(eq(alerts.id, id));
  if (!row || !can(actor, 'unit.read', row.path)) throw notFound('alert');
  if (!can(actor, 'alert.annotate', row.path)) throw forbidden('recording root causes needs the manager or admin role on the unit');
  const now = Date.now();
  const after: Alert = {
    ...row.alert,
    rootCause: patch.rootCause === undefined ? row.alert.rootCause : patch.rootCause,
    correctiveAction: patch.correctiveAction === undefined ? row.alert.correctiveAction : patch.correctiveAction,
    updatedAt: now,
  };
  await commit(t, [
    t.update(alerts).set({ rootCause: after.rootCause, correctiveAction: after.correctiveAction, updatedAt: now }).where(eq(alerts.id, row.alert.id)),
    ...(await audit(d, {
      action: 'alert.annotate',
      targetType: 'alert',
      targetId: row.alert.id,
      before: presentAlert(row.alert),
      after: presentAlert(after),
      details: { changed: Object.keys(patch) },
    })),
  ]);
  return presentAlert(after);
}
