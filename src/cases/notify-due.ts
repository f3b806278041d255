import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { DatabaseRun } from '../db/plane';
import { cases, contacts, responses, tenants, units, users } from '../db/schema';
import { loadConfig, type Config } from '../env';
import { SettingsSchema } from '../settings/settings';
import { openedKey, openedMessage } from './follow-up';
import { notifyOwner } from './notify';

/** How long a claimed notification is left alone: one whose run died (or whose provider is down) is tried again after it. */
export const NOTIFY_LEASE_MS = 5 * 60_000;
/** Notifications sent per tick at most; the rest wait for the next minute. */
const PER_TICK = 200;

/**
 * Every minute: the owners of cases opened by a score alone are told once the comment has come
 * (the trigger `responses_comment_case_due` makes the case due at once) or the tenant's grace
 * has passed, with the comment as it is then. Each due case is claimed for NOTIFY_LEASE_MS in
 * one statement (a concurrent tick claims other rows or none), then notified under the same
 * job steps as the follow-up's (`response.captured:<id>:notify:<channel>`): whoever sends, the
 * owner gets one email. Done is `notify_due_at` null; a retryable failure keeps the lease, so
 * the case is tried again after it.
 */
export async function notifyDueCases({ env, db }: DatabaseRun, now: number): Promise<void> {
  const config = loadConfig(env);
  const leaseUntil = now + NOTIFY_LEASE_MS;
  const claimed = await db
    .update(cases)
    .set({ notifyDueAt: leaseUntil })
    .where(
      and(
        lte(cases.notifyDueAt, now),
        inArray(
          cases.id,
          db
            .select({ id: cases.id })
            .from(cases)
            // Every tenant, one probe each on the (tenant_id, notify_due_at) index.
            .where(and(sql`${cases.tenantId} in (select ${tenants.id} from ${tenants})`, lte(cases.notifyDueAt, now)))
            .orderBy(asc(cases.notifyDueAt))
            .limit(PER_TICK),
        ),
      ),
    )
    .returning({ tenantId: cases.tenantId, id: cases.id });
  const failures: unknown[] = [];
  for (const c of claimed) {
    try {
      await notifyCase(db, config, c, now, leaseUntil);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} case notifications failed for now`);
}

async function notifyCase(db: Db, config: Config, claim: { tenantId: string; id: string }, now: number, leaseUntil: number) {
  const [row] = await db
    .select({
      c: cases,
      comment: responses.comment,
      answeredAt: responses.answeredAt,
      unit: { name: units.name, timezone: units.timezone },
      contact: { externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, attributes: contacts.attributes },
      owner: { id: users.id, email: users.email, name: users.name, status: users.status },
      settings: tenants.settings,
    })
    .from(cases)
    .innerJoin(tenants, eq(tenants.id, cases.tenantId))
    .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
    .innerJoin(responses, and(eq(responses.tenantId, cases.tenantId), eq(responses.id, cases.responseId)))
    .leftJoin(contacts, and(eq(contacts.tenantId, cases.tenantId), eq(contacts.id, cases.contactId)))
    .leftJoin(users, and(eq(users.tenantId, cases.tenantId), eq(users.id, cases.ownerUserId)))
    .where(and(eq(cases.tenantId, claim.tenantId), eq(cases.id, claim.id)));
  if (!row) return;
  // A case settled within the grace, or without an active owner, has nobody to tell.
  const live = (row.c.status === 'open' || row.c.status === 'contacted') && row.owner?.status === 'active';
  if (live) {
    const message = openedMessage(config, { c: row.c, comment: row.comment, answeredAt: row.answeredAt, unit: row.unit, contact: row.contact?.externalId ? row.contact : null });
    await notifyOwner(db, config, SettingsSchema.parse(row.settings ?? {}), {
      tenantId: claim.tenantId,
      caseId: claim.id,
      owner: row.owner!,
      message,
      keyBase: openedKey(row.c.responseId),
      kind: 'opened',
      now,
    });
  }
  await db
    .update(cases)
    .set({ notifyDueAt: null })
    .where(and(eq(cases.tenantId, claim.tenantId), eq(cases.id, claim.id), eq(cases.notifyDueAt, leaseUntil)));
}
