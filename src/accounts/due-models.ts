import { and, asc, isNotNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { churnModels, tenants } from '../db/schema';

/**
 * The tenants whose churn model is due for training by `now` (the first account laid it due; each
 * training sets the first of the next month), across the tenants of a data database, the earliest
 * first: the one cross-tenant read of the daily retraining (src/accounts/retrain.ts). Each is then
 * leased and sent through a TenantDb of its tenant.
 */
export function dueChurnModels(db: Db, now: number, limit: number) {
  return db
    .select({ tenantId: churnModels.tenantId })
    .from(churnModels)
    .where(and(isNotNull(churnModels.dueAt), lte(churnModels.dueAt, now), sql`${churnModels.tenantId} in (select ${tenants.id} from ${tenants})`))
    .orderBy(asc(churnModels.dueAt))
    .limit(limit);
}

/**
 * The tenants whose accounts are due for their daily re-scoring by `now` (each scoring sets the
 * next UTC day), the earliest first: the cross-tenant read of the daily scoring (src/accounts/retrain.ts).
 */
export function dueChurnScorings(db: Db, now: number, limit: number) {
  return db
    .select({ tenantId: churnModels.tenantId })
    .from(churnModels)
    .where(and(isNotNull(churnModels.scoreDueAt), lte(churnModels.scoreDueAt, now), sql`${churnModels.tenantId} in (select ${tenants.id} from ${tenants})`))
    .orderBy(asc(churnModels.scoreDueAt))
    .limit(limit);
}
