import { and, eq, sql } from 'drizzle-orm';
import type { DatabaseRun } from '../db/plane';
import { alertRules, alerts, tenants, units } from '../db/schema';

/**
 * The cross-tenant part of the alert evaluation (a named sweep of test/node/data-layer.test.ts):
 * the active rules of every tenant of a data database (`limit` at most, by id), each with its
 * unit and the id of its open alert, if any. Each rule is then evaluated through its tenant's
 * handle (src/alerts/evaluate.ts).
 */
export function activeRules({ db }: Pick<DatabaseRun, 'db'>, limit: number) {
  return db
    .select({ rule: alertRules, unit: { id: units.id, path: units.path, timezone: units.timezone, name: units.name }, openId: alerts.id })
    .from(alertRules)
    .innerJoin(units, and(eq(units.tenantId, alertRules.tenantId), eq(units.id, alertRules.unitId)))
    .leftJoin(alerts, and(eq(alerts.tenantId, alertRules.tenantId), eq(alerts.ruleId, alertRules.id), eq(alerts.status, 'open')))
    .where(and(sql`${alertRules.tenantId} in (select ${tenants.id} from ${tenants})`, eq(alertRules.active, true)))
    .orderBy(alertRules.id)
    .limit(limit);
}
