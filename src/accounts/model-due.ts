import { churnModels } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';

/** The statement that lays a tenant's churn model due now when it has none yet (its first account does): the daily cron then sends its first training. */
export const layModelDue = (t: TenantDb, now: number) =>
  t.insert(churnModels).values({ kind: 'rules', status: 'pending', card: null, trainedAt: null, dueAt: now, updatedAt: now }).onConflictDoNothing();
