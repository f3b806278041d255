import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { targets, tenants, units } from '../db/schema';

/**
 * The targets whose period has closed by `now` and whose attainment is not frozen yet, across
 * the tenants of a data database (of tenants still there), the earliest first, with their unit:
 * the one cross-tenant read of the daily close (src/targets/close.ts). Each is then frozen
 * through a TenantDb of its tenant.
 */
export function dueTargets(db: Db, now: number, limit: number) {
  return db
    .select({ target: targets, unit: units })
    .from(targets)
    .innerJoin(units, and(eq(units.tenantId, targets.tenantId), eq(units.id, targets.unitId)))
    .where(and(sql`${targets.tenantId} in (select ${tenants.id} from ${tenants})`, lte(targets.closesAt, now)))
    .orderBy(asc(targets.closesAt))
    .limit(limit);
}
