import type { DatabaseRun } from '../db/plane';
import { and, asc, eq, gt, inArray, isNull, lte, sql, type SQLWrapper } from 'drizzle-orm';
import { deliveryAttempts, invitations } from '../db/schema';
import { deliveryMessage, LEASE_MS, recordedTries, type DeliveryMessage } from './deliver';

/** Invitations (and, separately, reminders and recoveries) handled per run; the rest wait a minute. */
const PER_RUN = 500;
/** Cloudflare Queues take at most 100 messages per sendBatch. */
const QUEUE_BATCH = 100;

/*
 * Each pick walks a partial index of the due rows across the tenants of the database (migration
 * 0017, as the due-work probe does), so an idle minute reads next to nothing: Turso bills every
 * row scanned, and walking each tenant's index cost about two rows per tenant and status a
 * minute. Every invitation belongs to a tenant of this database (its tenant_id is a foreign key).
 */
/** Literal statuses: a partial index serves a query only when the query names its condition. */
const OPEN = sql`${invitations.status} in ('scheduled', 'sending', 'sent')`;
const SCHEDULED = sql`${invitations.status} = 'scheduled'`;
const SENDING = sql`${invitations.status} = 'sending'`;
const SENT = sql`${invitations.status} = 'sent'`;
/** The tries recorded for each invitation, counted in the invitation's own tenant. */
const triesOfEach = recordedTries(sql`${deliveryAttempts.tenantId} = ${invitations.tenantId}`);

/*
 * The delivery scan is a named cross-tenant sweep (test/node/data-layer.test.ts): it finds and
 * claims the due work of every tenant of a data database in one batch; each message it enqueues
 * is then delivered through a handle bound to its tenant (deliver.ts).
 */

/**
 * Every minute: hands what is due to the delivery queue. In one batch (one round trip):
 *  - invitations past their expiry, not yet answered, become `expired`;
 *  - due `scheduled` ones become `sending` (oldest first, PER_RUN at most) — only the rows
 *    this run flipped are enqueued, so two runs never enqueue the same invitation;
 *  - `sending` ones untouched for LEASE_MS are enqueued again (a crash between the flip and
 *    the enqueue, or a worker that died mid-try: its unfinished claim is released);
 *  - reminders due (sent, unanswered, not yet reminded) are reserved for LEASE_MS and enqueued.
 * The consumer claims each try before sending, so a message enqueued twice still sends once.
 */
export async function enqueueDueDeliveries({ env, db }: DatabaseRun, now: number): Promise<void> {
  const queue = env.DELIVERY_QUEUE;
  if (!queue) throw new Error('the DELIVERY_QUEUE binding is missing');
  // By rowid: the update then finds each row without a seek into the primary key's index.
  const rowid = sql`${invitations}.rowid`;
  const pick = (order: SQLWrapper, ...conditions: Parameters<typeof and>) =>
    inArray(
      rowid,
      db
        .select({ rowid })
        .from(invitations)
        .where(and(...conditions))
        .orderBy(asc(order))
        .limit(PER_RUN),
    );
  const returning = { tenantId: invitations.tenantId, id: invitations.id };

  const [, due, stale, reminders] = await db.batch([
    db
      .update(invitations)
      .set({ status: 'expired', updatedAt: now })
      .where(and(OPEN, lte(invitations.expiresAt, now))),
    // Each pick in the order of its index: the oldest due first.
    db
      .update(invitations)
      .set({ status: 'sending', updatedAt: now })
      .where(and(eq(invitations.status, 'scheduled'), pick(invitations.dueAt, SCHEDULED, lte(invitations.dueAt, now))))
      .returning(returning),
    db
      .update(invitations)
      .set({ attempts: triesOfEach, updatedAt: now })
      .where(and(eq(invitations.status, 'sending'), pick(invitations.updatedAt, SENDING, lte(invitations.updatedAt, now - LEASE_MS))))
      .returning(returning),
    db
      .update(invitations)
      .set({ attempts: triesOfEach, reminderDueAt: now + LEASE_MS })
      .where(and(eq(invitations.status, 'sent'), pick(invitations.reminderDueAt, SENT, isNull(invitations.remindedAt), lte(invitations.reminderDueAt, now), gt(invitations.expiresAt, now))))
      .returning(returning),
  ]);

  const messages: DeliveryMessage[] = [
    ...[...due, ...stale].map((i) => deliveryMessage('invitation.send', i.tenantId, i.id)),
    ...reminders.map((i) => deliveryMessage('invitation.remind', i.tenantId, i.id)),
  ];
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
    await queue.sendBatch(messages.slice(i, i + QUEUE_BATCH).map((body) => ({ body })));
  }
}
