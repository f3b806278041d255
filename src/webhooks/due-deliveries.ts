import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { DatabaseRun } from '../db/plane';
import { webhookDeliveries } from '../db/schema';

/**
 * The cross-tenant part of the webhook dispatcher (a named sweep of test/node/data-layer.test.ts):
 * in one statement, leases until `leaseUntil` the pending deliveries of every tenant of a data
 * database whose time has come (oldest first, `limit` at most) and answers them with their
 * tenant. Only the rows this statement leased are answered, so two runs never take the same
 * attempt; everything after is done per tenant (src/webhooks/dispatch.ts).
 */
export function leaseDueDeliveries({ db }: Pick<DatabaseRun, 'db'>, now: number, leaseUntil: number, limit: number) {
  return db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: leaseUntil, updatedAt: now })
    .where(
      and(
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, now),
        inArray(
          webhookDeliveries.id,
          db
            .select({ id: webhookDeliveries.id })
            .from(webhookDeliveries)
            // The partial index of pending deliveries, across tenants (the status literal: a partial
            // index serves a query only when the query names its condition): reads only what is due.
            .where(and(sql`${webhookDeliveries.status} = 'pending'`, lte(webhookDeliveries.nextAttemptAt, now)))
            .orderBy(asc(webhookDeliveries.nextAttemptAt))
            .limit(limit),
        ),
      ),
    )
    .returning({ tenantId: webhookDeliveries.tenantId, id: webhookDeliveries.id, attempts: webhookDeliveries.attempts });
}
