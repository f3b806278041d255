import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { savedReports, tenants, units } from '../db/schema';

/**
 * The saved reports due at `now` across the tenants of a data database (of tenants still
 * there), the oldest occurrence first, with the name and time zone of their unit: the one
 * cross-tenant read of the hourly mailer (src/reports/send.ts). Everything done with a report
 * then goes through a TenantDb of its tenant.
 */
export function dueReports(db: Db, now: number, limit: number) {
  return db
    .select({ report: savedReports, unit: { name: units.name, timezone: units.timezone } })
    .from(savedReports)
    .innerJoin(units, and(eq(units.tenantId, savedReports.tenantId), eq(units.id, savedReports.unitId)))
    .where(and(sql`${savedReports.tenantId} in (select ${tenants.id} from ${tenants})`, lte(savedReports.nextRunAt, now)))
    .orderBy(asc(savedReports.nextRunAt))
    .limit(limit);
}
