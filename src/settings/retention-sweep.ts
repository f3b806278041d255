import { sql } from 'drizzle-orm';
import type { DatabaseRun } from '../db/plane';
import { tenants } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { purgeTenant, RetentionSchema } from './retention';

/**
 * Daily: every tenant with a retention set has what is past it erased (idempotent). The tenants
 * are found across the data database; each is purged through its own handle.
 */
export async function purgeExpiredPersonalData({ db }: DatabaseRun, now: number): Promise<void> {
  const rows = await db
    .select({ id: tenants.id, settings: tenants.settings })
    .from(tenants)
    .where(sql`json_extract(${tenants.settings}, '$.retention.commentDays') is not null or json_extract(${tenants.settings}, '$.retention.contactDays') is not null`);
  for (const row of rows) {
    const retention = RetentionSchema.safeParse((row.settings as { retention?: unknown }).retention);
    if (retention.success) await purgeTenant(new TenantDb(db, row.id), retention.data, now);
  }
}
