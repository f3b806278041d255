import { TenantDb } from '../db/tenant-db';
import { purposeKey } from '../auth/purpose-key';
import { and, asc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client';
import { caseEvents, cases, contacts, events, invitations, responses, surveyVersions } from '../db/schema';
import type { Config } from '../env';
import { base64url } from '../lib/ids';
import { webhookEvent } from '../webhooks/emit';

type Contact = typeof contacts.$inferSelect;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The answers of the contact, the cases opened from them or naming the contact. */
const theirResponses = (tenantId: string, contactId: string) => sql`(select ${responses.id} from ${responses} where ${responses.tenantId} = ${tenantId} and ${responses.contactId} = ${contactId})`;
const theirCases = (tenantId: string, contactId: string) => and(eq(cases.tenantId, tenantId), or(eq(cases.contactId, contactId), sql`${cases.responseId} in ${theirResponses(tenantId, contactId)}`));
const theirInvitations = (tenantId: string, contactId: string) =>
  sql`(select ${invitations.id} from ${invitations} where ${invitations.tenantId} = ${tenantId} and ${invitations.contactId} = ${contactId})`;

/**
 * Everything held about one contact (the right of access): the contact, the events and
 * invitations naming them, their answers with comments and every answer, and the cases opened
 * from those answers with their timelines.
 */
export async function contactHoldings(db: Db, tenantId: string, contact: Contact) {
  const [invitationRows, eventRows, responseRows, caseRows, caseEventRows] = await db.batch([
    db
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, tenantId), eq(invitations.contactId, contact.id)))
      .orderBy(asc(invitations.createdAt)),
    db
      .select()
      .from(events)
      .where(and(eq(events.tenantId, tenantId), eq(events.contactId, contact.id)))
      .orderBy(asc(events.occurredAt)),
    db
      .select()
      .from(responses)
      .where(and(eq(responses.tenantId, tenantId), eq(responses.contactId, contact.id)))
      .orderBy(asc(responses.createdAt)),
    db.select().from(cases).where(theirCases(tenantId, contact.id)).orderBy(asc(cases.createdAt)),
    db
      .select()
      .from(caseEvents)
      .where(and(eq(caseEvents.tenantId, tenantId), sql`${caseEvents.caseId} in (select ${cases.id} from ${cases} where ${theirCases(tenantId, contact.id)})`))
      .orderBy(asc(caseEvents.createdAt), asc(caseEvents.id)),
  ]);
  return {
    invitations: invitationRows.map((i) => ({
      id: i.id,
      unitId: i.unitId,
      touchpointId: i.touchpointId,
      channel: i.channel,
      locale: i.locale,
      status: i.status,
      sentAt: iso(i.sentAt),
      expiresAt: iso(i.expiresAt)!,
      createdAt: iso(i.createdAt)!,
    })),
    events: eventRows.map((e) => ({
      eventId: e.eventId,
      type: e.type,
      occurredAt: iso(e.occurredAt)!,
      unitId: e.unitId,
      touchpointId: e.touchpointId,
      attributes: e.attributes,
      decision: e.decision,
      reason: e.reason,
      invitationId: e.invitationId,
    })),
    responses: responseRows.map((r) => ({
      id: r.id,
      invitationId: r.invitationId,
      unitId: r.unitId,
      touchpointId: r.touchpointId,
      surveyId: r.surveyId,
      surveyVersion: r.surveyVersion,
      channel: r.channel,
      locale: r.locale,
      score: r.score,
      comment: r.comment,
      answers: r.answers,
      counted: r.counted,
      segment: r.segment,
      lifetimeValue: r.lifetimeValue,
      answeredAt: iso(r.answeredAt),
      createdAt: iso(r.createdAt)!,
    })),
    cases: caseRows.map((k) => ({
      id: k.id,
      responseId: k.responseId,
      unitId: k.unitId,
      status: k.status,
      score: k.score,
      rootCause: k.rootCause,
      tags: k.tags,
      createdAt: iso(k.createdAt)!,
      timeline: caseEventRows
        .filter((e) => e.caseId === k.id)
        .map((e) => ({ type: e.type, fromStatus: e.fromStatus, toStatus: e.toStatus, note: e.note, reason: e.reason, createdAt: iso(e.createdAt)! })),
    })),
  };
}

/**
 * The erasure tombstone's key: HMAC-SHA256 of the tenant and the external id under a key
 * derived for this purpose from the first session signing key. It proves later that an id was
 * erased (whoever knows the id can recompute it) without keeping the id.
 */
export async function externalIdHash(config: Config, tenantId: string, externalId: string): Promise<string> {
  const key = await purposeKey(config.jwtKeys[0]!.secret, 'contact-erasure');
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${tenantId}\u0000${externalId}`))));
}

/**
 * The statements that erase one contact (the right to erasure), to commit in one batch with
 * the audit row: the contact row, their invitations (so their survey links name nothing and
 * answer 404) with delivery attempts and dev-outbox copies, the events' link and attributes,
 * case notes and reasons and the cases' link, and on their answers the comment, free-text and
 * hidden answers, the client fingerprint and the links to contact and invitation. The answers
 * themselves stay with score, unit, time, touchpoint, channel, segment and weight, so every
 * score and rollup is the same before and after. Subscribers get `contact.erased`. In order:
 * nothing still refers to a row when it is deleted (foreign keys are on).
 */
export async function erasureStatements(
  db: Db,
  tenantId: string,
  contact: Contact,
  now: number,
): Promise<{ statements: BatchItem<'sqlite'>[]; counts: { responses: number; invitations: number; cases: number; events: number } }> {
  const [versions, [counts]] = await db.batch([
    db
      .selectDistinct({ surveyId: responses.surveyId, version: responses.surveyVersion, definition: surveyVersions.definition })
      .from(responses)
      .innerJoin(surveyVersions, and(eq(surveyVersions.tenantId, responses.tenantId), eq(surveyVersions.surveyId, responses.surveyId), eq(surveyVersions.version, responses.surveyVersion)))
      .where(and(eq(responses.tenantId, tenantId), eq(responses.contactId, contact.id))),
    db.all<{ responses: number; invitations: number; cases: number; events: number }>(sql`select
      (select count(*) from ${responses} where ${responses.tenantId} = ${tenantId} and ${responses.contactId} = ${contact.id}) as responses,
      (select count(*) from ${invitations} where ${invitations.tenantId} = ${tenantId} and ${invitations.contactId} = ${contact.id}) as invitations,
      (select count(*) from ${cases} where ${theirCases(tenantId, contact.id)}) as cases,
      (select count(*) from ${events} where ${events.tenantId} = ${tenantId} and ${events.contactId} = ${contact.id}) as events`),
  ]);
  const mine = and(eq(responses.tenantId, tenantId), eq(responses.contactId, contact.id));
  const statements: BatchItem<'sqlite'>[] = [];
  // Free-text and hidden answers (the comment questions, and what the link carried) of each version answered.
  for (const v of versions) {
    const questions = (v.definition as { questions?: { id: string; type: string }[] }).questions ?? [];
    const paths = questions.filter((q) => q.type === 'comment' || q.type === 'hidden').map((q) => `$."${q.id}"`);
    if (!paths.length) continue;
    const removed = paths.reduce<SQL>((expr, p) => sql`json_remove(${expr}, ${p})`, sql`${responses.answers}`);
    statements.push(
      db
        .update(responses)
        .set({ answers: removed })
        .where(and(mine, eq(responses.surveyId, v.surveyId), eq(responses.surveyVersion, v.version))),
    );
  }
  const theirCaseIds = sql`(select ${cases.id} from ${cases} where ${theirCases(tenantId, contact.id)})`;
  const invitationIds = theirInvitations(tenantId, contact.id);
  const recipients = [contact.email, contact.phone].filter((x): x is string => x !== null);
  statements.push(
    db
      .update(caseEvents)
      .set({ note: null, reason: null })
      .where(and(eq(caseEvents.tenantId, tenantId), sql`${caseEvents.caseId} in ${theirCaseIds}`)),
    db.update(cases).set({ contactId: null }).where(theirCases(tenantId, contact.id)),
    db.run(sql`delete from delivery_attempts where tenant_id = ${tenantId} and invitation_id in ${invitationIds}`),
    db.run(
      sql`delete from dev_outbox where tenant_id = ${tenantId} and (invitation_id in ${invitationIds}${
        recipients.length
          ? sql` or recipient in (${sql.join(
              recipients.map((r) => sql`${r}`),
              sql`, `,
            )})`
          : sql``
      })`,
    ),
    db
      .update(events)
      .set({ contactId: null, attributes: {}, invitationId: null })
      .where(and(eq(events.tenantId, tenantId), eq(events.contactId, contact.id))),
    db.update(responses).set({ contactId: null, invitationId: null, comment: null, clientHash: null, updatedAt: now }).where(mine),
    db.delete(invitations).where(and(eq(invitations.tenantId, tenantId), eq(invitations.contactId, contact.id))),
    // Earlier audit rows about the contact keep their action and time, not the external id.
    db.run(sql`update audit_log set details = json_remove(details, '$.externalId') where tenant_id = ${tenantId} and target_type = 'contact' and target_id = ${contact.id} and details is not null`),
    db.delete(contacts).where(and(eq(contacts.tenantId, tenantId), eq(contacts.id, contact.id))),
    webhookEvent(new TenantDb(db, tenantId), 'contact.erased', { contactId: contact.id, externalId: contact.externalId, erasedAt: iso(now) }, now),
  );
  return { statements, counts: counts ?? { responses: 0, invitations: 0, cases: 0, events: 0 } };
}
