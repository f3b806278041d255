import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { requireTenantWide } from '../auth/tenant-wide';
import { auditLog } from '../db/schema';
import type { Deps } from '../lib/deps';

export interface TrailQuery {
  targetType?: string;
  targetId?: string;
  limit: number;
  /** Cursor: the id of the last entry of the previous page. */
  before?: string;
}

/** A page of the tenant's audit trail, newest first, with the cursor of the next page. */
export async function auditTrail(d: Deps, q: TrailQuery) {
  await requireTenantWide(d, 'audit.read', 'reading the audit log');
  const { t } = d;
  const filters: (SQL | undefined)[] = [];
  if (q.targetType) filters.push(eq(auditLog.targetType, q.targetType));
  if (q.targetId) filters.push(eq(auditLog.targetId, q.targetId));
  if (q.before) {
    const [cursor] = await t.select({ createdAt: auditLog.createdAt }).from(auditLog).where(eq(auditLog.id, q.before));
    if (cursor) filters.push(or(lt(auditLog.createdAt, cursor.createdAt), and(eq(auditLog.createdAt, cursor.createdAt), lt(auditLog.id, q.before))));
  }
  const rows = await t
    .select()
    .from(auditLog)
    .where(and(...filters))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({ ...r, tenantId: undefined, createdAt: new Date(r.createdAt).toISOString() })),
    nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
  };
}
