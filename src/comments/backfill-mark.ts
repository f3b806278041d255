import { sql } from 'drizzle-orm';
import { commentBackfill, responses } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';

/**
 * Marks answers for the backfill of comment analyses (src/comments/backfill.ts), for writers that
 * store commented answers without a follow-up (the import of answers collected elsewhere). Two
 * statements around the answers' inserts, in the same batch: `before` opens the tenant's range
 * at its newest answer when it has none (an existing range is kept); `after` extends it to the
 * newest answer. Nothing else is read: the job skips answers without a comment or with an analysis.
 */
const newest = (t: TenantDb) => sql<number>`(select coalesce(max(${responses}.rowid), 0) from ${responses} where ${t.owns(responses)})`;

export async function backfillMarks(t: TenantDb) {
  const now = Date.now();
  // Read before the batch: an answer that comes in meanwhile falls inside the range (and is skipped if analysed).
  const [top] = await t.select({ seq: sql<number>`coalesce(max(${responses}.rowid), 0)` }).from(responses);
  const seq = Number(top?.seq ?? 0);
  return {
    before: t.insert(commentBackfill).values({ seq, through: seq, dueAt: null, updatedAt: now }).onConflictDoNothing(),
    after: t.update(commentBackfill).set({ through: sql`max(${commentBackfill.through}, ${newest(t)})`, dueAt: sql`coalesce(${commentBackfill.dueAt}, ${now})`, updatedAt: now }),
  };
}
