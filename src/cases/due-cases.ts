import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accountRisks, accounts, cases, contacts, responses, tenants, units } from '../db/schema';

/*
 * The cross-tenant finds of the case sweeps (a named sweep of test/node/data-layer.test.ts):
 * which cases of a data database, of any tenant, are due for escalation or for their owner's
 * notification. Each row names its tenant; what is done with it goes through a TenantDb.
 */

/** Cases escalated per tick at most; the rest wait for the next tick (five minutes). */
export const ESCALATIONS_PER_TICK = 200;
/** Notifications claimed per tick at most; the rest wait for the next minute. */
const NOTIFICATIONS_PER_TICK = 200;

export type Breach = 'first_contact' | 'resolution';

/** SQL: the case has not been escalated for this breach yet. */
export const hasNot = (breach: Breach) => sql`not exists (select 1 from json_each(${cases.escalated}) e where e.value = ${breach})`;

/** Cases with what escalating and notifying them needs: unit, tenant settings, comment, contact. */
const casesInContext = (db: Db) =>
  db
    .select({
      c: cases,
      unitPath: units.path,
      unitName: units.name,
      unitTimezone: units.timezone,
      settings: tenants.settings,
      comment: responses.comment,
      contact: { externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, attributes: contacts.attributes },
      // An at-risk case's account and its latest risk (docs/accounts.md "Predictive alerts").
      account: { name: accounts.name, probability: accountRisks.probability, reasons: accountRisks.reasons },
    })
    .from(cases)
    .innerJoin(tenants, eq(tenants.id, cases.tenantId))
    .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
    .leftJoin(responses, and(eq(responses.tenantId, cases.tenantId), eq(responses.id, cases.responseId)))
    .leftJoin(contacts, and(eq(contacts.tenantId, cases.tenantId), eq(contacts.id, cases.contactId)))
    .leftJoin(accounts, and(eq(accounts.tenantId, cases.tenantId), eq(accounts.id, cases.accountId)))
    .leftJoin(accountRisks, and(eq(accountRisks.tenantId, cases.tenantId), eq(accountRisks.accountId, cases.accountId)))
    .$dynamic();

/** Late cases across tenants: one indexed range per tenant (tenant_id, status, resolution_due_at) or the first-contact condition. */
export function lateCases(db: Db, now: number) {
  return casesInContext(db)
    .where(
      and(
        inArray(cases.status, ['open', 'contacted']),
        // Each branch names its status, so each is read through its own (status, due) index;
        // `+` keeps the sort from walking the resolution index in order instead.
        or(
          and(eq(cases.status, 'open'), isNull(cases.firstContactAt), lte(cases.firstContactDueAt, now), hasNot('first_contact')),
          and(inArray(cases.status, ['open', 'contacted']), lte(cases.resolutionDueAt, now), hasNot('resolution')),
        ),
      ),
    )
    .orderBy(sql`+${cases.resolutionDueAt}`)
    .limit(ESCALATIONS_PER_TICK);
}

export type LateCase = Awaited<ReturnType<typeof lateCases>>[number];

export const NOTICE_RETRY_MS = 86_400_000;

/**
 * Cases escalated within the last day whose latest escalation's email step is missing: the
 * notification failed for now (provider down) and is tried again, once per tick, for a day.
 */
export function unnoticed(db: Db, now: number) {
  return casesInContext(db)
    .where(
      and(
        inArray(cases.status, ['open', 'contacted']),
        sql`${cases.escalationLevel} > 0`,
        sql`${cases.updatedAt} > ${now - NOTICE_RETRY_MS}`,
        sql`${cases.updatedAt} < ${now}`, // not the ones escalated by this very tick
        sql`not exists (select 1 from job_steps s where s.tenant_id = ${cases.tenantId} and s.key = 'case.escalated:' || ${cases.id} || ':' || json_extract(${cases.escalated}, '$[#-1]') || ':' || ${cases.escalationLevel} || ':email')`,
      ),
    )
    .limit(ESCALATIONS_PER_TICK);
}

/**
 * Claims the cases of any tenant whose owner's notification is due, until `leaseUntil`, in one
 * statement (a concurrent tick claims other rows or none).
 */
export function claimDueNotifications(db: Db, now: number, leaseUntil: number) {
  return db
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
            // The partial index of cases with a notification due, across tenants: reads only what
            // is due (walking each tenant's index read about two rows per tenant; Turso bills each).
            .where(lte(cases.notifyDueAt, now))
            .orderBy(asc(cases.notifyDueAt))
            .limit(NOTIFICATIONS_PER_TICK),
        ),
      ),
    )
    .returning({ tenantId: cases.tenantId, id: cases.id });
}
