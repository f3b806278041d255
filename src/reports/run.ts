import { and, eq, isNull } from 'drizzle-orm';
import type { Actor } from '../auth/policy';
import { apiKeys, roleGrants, type savedReports, units, users } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { scoresCsvBody } from '../exports/csv';
import type { Deps } from '../lib/deps';
import { scoreReport } from '../scores/report';
import { cycleRange, isCycle, type ReportSchedule, resolveRange } from './schedule';

export type SavedReport = typeof savedReports.$inferSelect;

/** What a report's filters hold (validated by the routes). */
export type ReportFilters = {
  rangeDays: number;
  period?: 'day' | 'week' | 'month' | 'quarter';
  groupBy?: Parameters<typeof scoreReport>[1]['groupBy'];
  weight: 'none' | 'ltv' | 'poststrat';
  compare?: 'previous';
  confidence: number;
};

/** The GET /api/v1/scores query a report stands for at `now`: its range resolved to the unit's local days. */
export function reportQuery(report: Pick<SavedReport, 'unitId' | 'filters'> & { schedule?: unknown }, timeZone: string, now: number) {
  const f = report.filters as unknown as ReportFilters;
  // On the planning cycle a report covers the month (or quarter) just ended; otherwise its last `rangeDays` days.
  const cycle = (report.schedule as ReportSchedule | null | undefined)?.weekday;
  const { from, to } = isCycle(cycle) ? cycleRange(cycle, now, timeZone) : resolveRange(f.rangeDays, now, timeZone);
  return {
    unitId: report.unitId,
    from,
    to,
    weight: f.weight ?? 'none',
    confidence: f.confidence ?? 0.95,
    ...(f.period ? { period: f.period } : {}),
    ...(f.groupBy ? { groupBy: f.groupBy } : {}),
    ...(f.compare ? { compare: f.compare } : {}),
  };
}

/**
 * The report's CSV for an actor, by the exports code itself (scoreReport + scoresCsvBody):
 * the caller's own, or (the cron) the owner's of now.
 */
export async function reportCsv(d: Pick<Deps, 't' | 'actor'>, report: Pick<SavedReport, 'unitId' | 'filters'> & { schedule?: unknown }, timeZone: string, now: number) {
  const query = reportQuery(report, timeZone, now);
  return { query, csv: scoresCsvBody(await scoreReport(d, query)) };
}

/**
 * The owner as an actor with their grants of now: a scheduled report sends only what its owner
 * may still read. Null when the owner is gone, disabled, revoked or expired.
 */
export async function ownerActor(t: TenantDb, report: Pick<SavedReport, 'tenantId' | 'ownerType' | 'ownerId'>, now: number): Promise<Actor | null> {
  const { tenantId, ownerId } = report;
  if (report.ownerType === 'user') {
    const [user, grants] = await t.batch([
      t
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, ownerId), eq(users.status, 'active'))),
      t.select({ unitId: roleGrants.unitId, unitPath: units.path, role: roleGrants.role }).from(roleGrants).innerJoin(units, eq(units.id, roleGrants.unitId)).where(eq(roleGrants.userId, ownerId)),
    ]);
    return user.length ? { type: 'user', id: ownerId, tenantId, grants } : null;
  }
  const [key] = await t
    .select({ unitId: apiKeys.unitId, unitPath: units.path, role: apiKeys.role, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .innerJoin(units, eq(units.id, apiKeys.unitId))
    .where(and(eq(apiKeys.id, ownerId), isNull(apiKeys.revokedAt)));
  if (!key || (key.expiresAt !== null && key.expiresAt <= now)) return null;
  return { type: 'api_key', id: ownerId, tenantId, grants: [{ unitId: key.unitId, unitPath: key.unitPath, role: key.role }], readOnly: true };
}
