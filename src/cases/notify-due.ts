import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DatabaseRun } from '../db/plane';
import { caseEvents, cases, contacts, responses, tenants, units, users } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Config } from '../env';
import { SettingsSchema } from '../settings/settings';
import { claimDueNotifications } from './due-cases';
import { openedKey, openedMessage } from './follow-up';
import { type AtRiskAccount, caseLink, caseMessage, notifyOwner } from './notify';

/** How long a claimed notification is left alone: one whose run died (or whose provider is down) is tried again after it. */
export const NOTIFY_LEASE_MS = 5 * 60_000;

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
  const claimed = await claimDueNotifications(db, now, leaseUntil);
  const failures: unknown[] = [];
  for (const c of claimed) {
    try {
      await notifyCase(new TenantDb(db, c.tenantId), config, c.id, now, leaseUntil);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} case notifications failed for now`);
}

async function notifyCase(t: TenantDb, config: Config, caseId: string, now: number, leaseUntil: number) {
  const [row] = await t
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
    // The handle joins the tenant's own row (its settings) and scopes every other table.
    .innerJoin(tenants, undefined)
    .innerJoin(units, eq(units.id, cases.unitId))
    .leftJoin(responses, eq(responses.id, cases.responseId))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(users, eq(users.id, cases.ownerUserId))
    .where(eq(cases.id, caseId));
  if (!row) return;
  // A case settled within the grace, or without an active owner, has nobody to tell.
  const live = (row.c.status === 'open' || row.c.status === 'contacted') && row.owner?.status === 'active';
  if (live && row.c.kind === 'at_risk') await notifyAtRisk(t, config, row, now);
  else if (live) {
    const message = openedMessage(config, { c: row.c, comment: row.comment, answeredAt: row.answeredAt, unit: row.unit, contact: row.contact?.externalId ? row.contact : null });
    await notifyOwner(t, config, SettingsSchema.parse(row.settings ?? {}), {
      caseId,
      owner: row.owner!,
      message,
      keyBase: openedKey(row.c.responseId!),
      kind: 'opened',
      now,
    });
  }
  await t
    .update(cases)
    .set({ notifyDueAt: null })
    .where(and(eq(cases.id, caseId), eq(cases.notifyDueAt, leaseUntil)));
}

/**
 * An at-risk case's owner is told of each crossing once (docs/accounts.md "Predictive alerts"):
 * the case's latest `opened` or `risk_crossed` event holds the account, its probability and the
 * reasons at the crossing, and names the job steps (`case.at_risk:<event id>:notify:<channel>`).
 */
async function notifyAtRisk(
  t: TenantDb,
  config: Config,
  row: { c: typeof cases.$inferSelect; unit: { name: string; timezone: string }; owner: { id: string; email: string; name: string } | null; settings: unknown },
  now: number,
) {
  const [crossing] = await t
    .select({ id: caseEvents.id, details: caseEvents.details })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.c.id), inArray(caseEvents.type, ['opened', 'risk_crossed'])))
    .orderBy(desc(caseEvents.createdAt), desc(caseEvents.id))
    .limit(1);
  const account = crossing?.details?.account as AtRiskAccount | undefined;
  if (!crossing || !account) return;
  const message = caseMessage({
    heading: 'Account at risk',
    caseId: row.c.id,
    score: null,
    account,
    comment: null,
    unitName: row.unit.name,
    timeZone: row.unit.timezone,
    contact: null,
    link: caseLink(config, row.c.id),
    dueAt: row.c.firstContactDueAt,
  });
  await notifyOwner(t, config, SettingsSchema.parse(row.settings ?? {}), { caseId: row.c.id, owner: row.owner!, message, keyBase: `case.at_risk:${crossing.id}:notify`, kind: 'at_risk', now });
}
