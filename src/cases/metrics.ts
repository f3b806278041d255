import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { can } from '../auth/policy';
import { cases, units, users } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { inSubtree } from '../org/units';

const HOUR = 3_600_000;

export interface MetricCase {
  unitPath: string;
  ownerUserId: string | null;
  createdAt: number;
  firstContactAt: number | null;
  firstContactDueAt: number | null;
  resolvedAt: number | null;
  resolutionDueAt: number | null;
  closedAt: number | null;
}

const round = (x: number) => Math.round(x * 100) / 100;
function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return round(s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2);
}
const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);

/**
 * Loop metrics of a set of cases at `now`: counts, median and mean hours to first contact and
 * to resolution (of the cases that got there), and the share within target. A case counts in
 * a share once its outcome is known: met when it happened by its due time, missed when it
 * happened later or the due time passed without it. Closed cases (no action) are left out of
 * the resolution share; cases without a due time out of both.
 */
export function loopMetrics(rows: MetricCase[], now: number) {
  const toContact = rows.filter((r) => r.firstContactAt !== null).map((r) => (r.firstContactAt! - r.createdAt) / HOUR);
  const toResolve = rows.filter((r) => r.resolvedAt !== null).map((r) => (r.resolvedAt! - r.createdAt) / HOUR);
  const share = (pairs: { at: number | null; due: number | null }[]) => {
    const known = pairs.filter((p) => p.due !== null && (p.at !== null || p.due <= now));
    return known.length ? round(known.filter((p) => p.at !== null && p.at <= p.due!).length / known.length) : null;
  };
  return {
    cases: rows.length,
    contacted: toContact.length,
    resolved: toResolve.length,
    closed: rows.filter((r) => r.closedAt !== null && r.resolvedAt === null).length,
    hoursToFirstContact: { median: median(toContact), mean: mean(toContact) },
    hoursToResolve: { median: median(toResolve), mean: mean(toResolve) },
    withinTarget: {
      firstContact: share(rows.map((r) => ({ at: r.firstContactAt, due: r.firstContactDueAt }))),
      resolution: share(rows.filter((r) => !(r.closedAt !== null && r.resolvedAt === null)).map((r) => ({ at: r.resolvedAt, due: r.resolutionDueAt }))),
    },
  };
}

const DAY = 86_400_000;

export interface MetricsQuery {
  unitId?: string;
  /** First UTC day of cases opened (default: 28 days ago). */
  from?: string;
  /** Last UTC day (default: today). */
  to?: string;
}

/**
 * The loop metrics of the cases opened in a period under a unit the caller may read cases of:
 * in total, per child unit, per vendor unit below it and per owner.
 */
export async function caseMetrics(d: Pick<Deps, 't' | 'actor'>, q: MetricsQuery) {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'case.read', unit.path)) throw forbidden('your role does not allow reading cases here');
  const now = Date.now();
  const to = q.to ?? new Date(now).toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 27 * DAY).toISOString().slice(0, 10);
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`) + DAY;
  if (end <= start) throw new ApiError('VALIDATION_FAILED', 'from must not be after to', [{ path: 'query.from', message: 'after to' }]);
  if (end - start > 366 * DAY) throw new ApiError('VALIDATION_FAILED', 'at most 366 days', [{ path: 'query.from', message: 'period longer than 366 days' }]);
  const [rows, below] = await t.batch([
    t
      .select({
        unitPath: units.path,
        ownerUserId: cases.ownerUserId,
        createdAt: cases.createdAt,
        firstContactAt: cases.firstContactAt,
        firstContactDueAt: cases.firstContactDueAt,
        resolvedAt: cases.resolvedAt,
        resolutionDueAt: cases.resolutionDueAt,
        closedAt: cases.closedAt,
        ownerName: users.name,
      })
      .from(cases)
      .innerJoin(units, eq(units.id, cases.unitId))
      .leftJoin(users, eq(users.id, cases.ownerUserId))
      .where(and(inSubtree(unit.path), gte(cases.createdAt, start), lt(cases.createdAt, end)))
      .limit(200_000),
    t.select({ id: units.id, name: units.name, kind: units.kind, path: units.path, parentId: units.parentId }).from(units).where(inSubtree(unit.path)).orderBy(asc(units.path)),
  ]);
  const of = (pred: (r: MetricCase) => boolean) => loopMetrics(rows.filter(pred), now);
  const children = below.filter((u) => u.parentId === unit.id);
  const vendors = below.filter((u) => u.kind === 'vendor');
  const owners = [...new Map(rows.map((r) => [r.ownerUserId, r.ownerName])).entries()];
  return {
    unitId: unit.id,
    from,
    to,
    total: loopMetrics(rows, now),
    units: children.map((u) => ({ unitId: u.id, name: u.name, ...of((r) => r.unitPath.startsWith(u.path)) })),
    vendors: vendors.map((u) => ({ unitId: u.id, name: u.name, ...of((r) => r.unitPath.startsWith(u.path)) })),
    owners: owners.map(([userId, name]) => ({ userId, name: name ?? null, ...of((r) => r.ownerUserId === userId) })),
  };
}
