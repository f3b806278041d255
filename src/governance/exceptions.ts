import { and, eq, gte, inArray, lt, or } from 'drizzle-orm';
import { can } from '../auth/policy';
import { actionPlans, alerts, auditLog, responses, targets, units, users } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { inSubtree } from '../org/units';
import { dayStart } from '../responses/local-range';

/*
 * The exceptions log (docs/governance.md): one list of what changed or questioned the numbers of
 * a unit: significant drops (the alerts' exception log, src/alerts/log.ts), reconciliation
 * mismatches, recalculations (exclusions, inclusions, reweighting), survey and sampling
 * changes, and rebaselines; each with its root cause, the corrective action or plans linked,
 * and who recorded what (the audit rows behind it). Read from the records that exist: nothing
 * is copied.
 */

export const EXCEPTION_KINDS = ['drop', 'reconciliation', 'recalculation', 'survey_change', 'rebaseline'] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

/** The audit actions each audit-backed kind lists, and whether they concern the whole tenant. */
const AUDITED: { action: string; kind: ExceptionKind; tenantWide: boolean }[] = [
  { action: 'reconciliation.run', kind: 'reconciliation', tenantWide: true },
  { action: 'response.exclude', kind: 'recalculation', tenantWide: false },
  { action: 'response.include', kind: 'recalculation', tenantWide: false },
  { action: 'responses.reweight', kind: 'recalculation', tenantWide: true },
  { action: 'survey.publish', kind: 'survey_change', tenantWide: true },
  { action: 'touchpoint.sampling', kind: 'survey_change', tenantWide: true },
  { action: 'target.rebaseline', kind: 'rebaseline', tenantWide: false },
];

export interface ExceptionsQuery {
  unitId?: string;
  from?: string;
  to?: string;
  kind?: ExceptionKind;
  recordedBy?: string;
  limit: number;
}

interface Trail {
  action: string;
  at: string;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** A reconciliation run is an exception when anything did not pair. */
const reconciliationMismatched = (details: Record<string, unknown>) => num(details.mismatches) + num(details.missingHere) + num(details.missingThere) > 0;

function summaryOf(action: string, details: Record<string, unknown>): string {
  switch (action) {
    case 'reconciliation.run':
      return `Reconciliation: ${num(details.mismatches)} scores differ, ${num(details.missingHere)} missing here, ${num(details.missingThere)} missing there, of ${num(details.rows)} rows`;
    case 'response.exclude':
      return 'An answer excluded from the scores';
    case 'response.include':
      return 'An answer included in the scores';
    case 'responses.reweight':
      return `A contact's answers reweighted (${num(details.responses)} answers)`;
    case 'survey.publish':
      return `Survey version ${num(details.version)} published`;
    case 'touchpoint.sampling':
      return 'Sampling rates per segment changed';
    case 'target.rebaseline':
      return `Target rebaselined (shift ${num(details.shift)} points)`;
    default:
      return action;
  }
}

export async function exceptionsLog(d: Deps, q: ExceptionsQuery) {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'alert.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read the exceptions log');
  // Tenant-wide changes (reconciliation, reweighting, survey and sampling changes) belong to the whole hierarchy: listed when the root is reviewed.
  const isRoot = unit.parentId === null;
  const start = q.from ? dayStart(q.from, unit.timezone) : 0;
  const end = q.to ? dayStart(new Date(Date.parse(`${q.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), unit.timezone) : Number.MAX_SAFE_INTEGER;
  const wanted = (k: ExceptionKind) => !q.kind || q.kind === k;
  const audited = AUDITED.filter((a) => wanted(a.kind) && (isRoot || !a.tenantWide));

  const [alertRows, auditRows] = await Promise.all([
    wanted('drop')
      ? t
          .select({ alert: alerts })
          .from(alerts)
          .innerJoin(units, eq(units.id, alerts.unitId))
          .where(and(inSubtree(unit.path), gte(alerts.createdAt, start), lt(alerts.createdAt, end)))
      : Promise.resolve([]),
    audited.length
      ? t
          .select()
          .from(auditLog)
          .where(and(or(...audited.map((a) => eq(auditLog.action, a.action))), gte(auditLog.createdAt, start), lt(auditLog.createdAt, end)))
      : Promise.resolve([]),
  ]);

  // Audit rows of a unit's records: keep those under the reviewed unit.
  const responseIds = auditRows.filter((r) => r.action.startsWith('response.')).map((r) => r.targetId);
  const targetIds = auditRows.filter((r) => r.action === 'target.rebaseline').map((r) => r.targetId);
  const alertIds = alertRows.map((r) => r.alert.id);
  const [responseUnits, targetUnits, plans, alertTrail] = await Promise.all([
    responseIds.length
      ? t
          .select({ id: responses.id, unitId: responses.unitId })
          .from(responses)
          .innerJoin(units, eq(units.id, responses.unitId))
          .where(and(inArray(responses.id, responseIds), inSubtree(unit.path)))
      : Promise.resolve([]),
    targetIds.length
      ? t
          .select({ id: targets.id, unitId: targets.unitId })
          .from(targets)
          .innerJoin(units, eq(units.id, targets.unitId))
          .where(and(inArray(targets.id, targetIds), inSubtree(unit.path)))
      : Promise.resolve([]),
    alertIds.length
      ? t
          .select({ id: actionPlans.id, alertId: actionPlans.alertId, title: actionPlans.title, status: actionPlans.status })
          .from(actionPlans)
          .where(and(inArray(actionPlans.unitId, [...new Set(alertRows.map((r) => r.alert.unitId))]), inArray(actionPlans.alertId, alertIds)))
      : Promise.resolve([]),
    alertIds.length
      ? t
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.targetType, 'alert'), inArray(auditLog.targetId, alertIds)))
      : Promise.resolve([]),
  ]);
  const unitOfResponse = new Map(responseUnits.map((r) => [r.id, r.unitId]));
  const unitOfTarget = new Map(targetUnits.map((r) => [r.id, r.unitId]));

  const actorIds = [...new Set([...auditRows, ...alertTrail].flatMap((r) => (r.actorType === 'user' && r.actorId ? [r.actorId] : [])))];
  const names = new Map((actorIds.length ? await t.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, actorIds)) : []).map((u) => [u.id, u.name]));
  const trailOf = (r: typeof auditLog.$inferSelect): Trail => ({
    action: r.action,
    at: iso(r.createdAt),
    actorType: r.actorType,
    actorId: r.actorId,
    actorName: r.actorId ? (names.get(r.actorId) ?? null) : null,
  });

  const items = [
    ...alertRows.map(({ alert: a }) => {
      const trail = alertTrail
        .filter((r) => r.targetId === a.id)
        .sort((x, y) => x.createdAt - y.createdAt)
        .map(trailOf);
      const evidence = a.evidence as Record<string, unknown>;
      return {
        kind: 'drop' as const,
        id: a.id,
        unitId: a.unitId,
        occurredAt: iso(a.createdAt),
        summary: typeof evidence.dropPoints === 'number' ? `Significant drop of ${evidence.dropPoints.toFixed(1)} points` : 'Significant drop',
        status: a.status,
        rootCause: a.rootCause,
        correctiveAction: a.correctiveAction,
        plans: plans.filter((p) => p.alertId === a.id).map((p) => ({ id: p.id, title: p.title, status: p.status })),
        trail,
      };
    }),
    ...auditRows.flatMap((r) => {
      const def = AUDITED.find((a) => a.action === r.action)!;
      const details = (r.details ?? {}) as Record<string, unknown>;
      if (r.action === 'reconciliation.run' && !reconciliationMismatched(details)) return [];
      const unitId = r.action.startsWith('response.') ? unitOfResponse.get(r.targetId) : r.action === 'target.rebaseline' ? unitOfTarget.get(r.targetId) : null;
      if (unitId === undefined) return [];
      return [
        {
          kind: def.kind,
          id: r.id,
          unitId,
          occurredAt: iso(r.createdAt),
          summary: summaryOf(r.action, details),
          status: null,
          rootCause: text(details.reason),
          correctiveAction: null,
          plans: [] as { id: string; title: string; status: string }[],
          trail: [trailOf(r)],
        },
      ];
    }),
  ]
    .filter((i) => !q.recordedBy || i.trail.some((x) => x.actorId === q.recordedBy))
    .sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : a.occurredAt > b.occurredAt ? -1 : a.id < b.id ? 1 : -1));
  return { unitId: unit.id, items: items.slice(0, q.limit), truncated: items.length > q.limit };
}
