import { deps } from '../lib/deps';
import { and, eq, isNull } from 'drizzle-orm';
import type { Actor } from '../auth/policy';
import type { Db } from '../db/client';
import { apiKeys, roleGrants, type savedReports, units, users } from '../db/schema';
import { scoresCsvBody } from '../exports/routes';
import type { AppContext } from '../lib/create-app';
import { scoreReport } from '../scores/report';
import { resolveRange } from './schedule';

export type SavedReport = typeof savedReports.$inferSelect;

/** What a report's filters hold (validated by the routes). */
export interface ReportFilters {
  rangeDays: number;
  period?: 'day' | 'week' | 'month' | 'quarter';
  groupBy?: Parameters<typeof scoreReport>[1]['groupBy'];
  weight: 'none' | 'ltv' | 'poststrat';
  compare?: 'previous';
  confidence: number;
}

/** The GET /api/v1/scores query a report stands for at `now`: its range resolved to the unit's local days. */
export function reportQuery(report: Pick<SavedReport, 'unitId' | 'filters'>, timeZone: string, now: number) {
  const f = report.filters as unknown as ReportFilters;
  const { from, to } = resolveRange(f.rangeDays, now, timeZone);
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
 * The report's CSV for an actor, by the exports code itself (scoreReport + scoresCsvBody).
 * The cron has no request: it passes the services scoreReport reads from one.
 */
export async function reportCsv(c: AppContext, report: Pick<SavedReport, 'unitId' | 'filters'>, timeZone: string, now: number) {
  const query = reportQuery(report, timeZone, now);
  return { query, csv: scoresCsvBody(await scoreReport(deps(c), query)) };
}

/** A stand-in for a request context carrying the services scoreReport uses (db, actor, request id). */
export function serviceContext(db: Db, actor: Actor, requestId: string): AppContext {
  const vars: Record<string, unknown> = { db, actor, requestId };
  return { get: (key: string) => vars[key] } as unknown as AppContext;
}

/**
 * The owner as an actor with their grants of now: a scheduled report sends only what its owner
 * may still read. Null when the owner is gone, disabled, revoked or expired.
 */
export async function ownerActor(db: Db, report: Pick<SavedReport, 'tenantId' | 'ownerType' | 'ownerId'>, now: number): Promise<Actor | null> {
  const { tenantId, ownerId } = report;
  if (report.ownerType === 'user') {
    const [user, grants] = await db.batch([
      db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), eq(users.id, ownerId), eq(users.status, 'active'))),
      db
        .select({ unitId: roleGrants.unitId, unitPath: units.path, role: roleGrants.role })
        .from(roleGrants)
        .innerJoin(units, and(eq(units.tenantId, roleGrants.tenantId), eq(units.id, roleGrants.unitId)))
        .where(and(eq(roleGrants.tenantId, tenantId), eq(roleGrants.userId, ownerId))),
    ]);
    return user.length ? { type: 'user', id: ownerId, tenantId, grants } : null;
  }
  const [key] = await db
    .select({ unitId: apiKeys.unitId, unitPath: units.path, role: apiKeys.role, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .innerJoin(units, and(eq(units.tenantId, apiKeys.tenantId), eq(units.id, apiKeys.unitId)))
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, ownerId), isNull(apiKeys.revokedAt)));
  if (!key || (key.expiresAt !== null && key.expiresAt <= now)) return null;
  return { type: 'api_key', id: ownerId, tenantId, grants: [{ unitId: key.unitId, unitPath: key.unitPath, role: key.role }], readOnly: true };
}
