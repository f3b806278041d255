import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { commentBackfill } from '../db/schema';

/**
 * The tenants of a data database with answers left to backfill (`due_at` set), the longest waiting
 * first, through the partial index `comment_backfill_due`: the one cross-tenant read of the backfill job
 * (src/comments/backfill.ts). Each tenant is then worked through its own TenantDb.
 */
export function tenantsToBackfill(db: Db, now: number, limit: number) {
  return db.select({ tenantId: commentBackfill.tenantId }).from(commentBackfill).where(sql`${commentBackfill.dueAt} <= ${now}`).orderBy(commentBackfill.dueAt).limit(limit);
}
