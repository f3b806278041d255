import { purposeKey } from '../auth/purpose-key';
import { and, asc, eq, inArray, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { findContact } from '../contacts/contact';
import { commit } from '../db/client';
import { auditLog, caseEvents, cases, commentAnalyses, contacts, deliveryAttempts, devOutbox, events, invitations, responses, surveyVersions } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Config } from '../env';
import type { Deps } from '../lib/deps';
import { notFound } from '../lib/errors';
import { base64url } from '../lib/ids';
import { webhookEvent } from '../webhooks/emit';

type Contact = typeof contacts.$inferSelect;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The ids of the contact's answers, of the cases opened from them or naming the contact, of their invitations (subqueries). */
const theirResponses = (t: TenantDb, contactId: string) => t.select({ id: responses.id }).from(responses).where(eq(responses.contactId, contactId));
const theirCases = (t: TenantDb, contactId: string) => or(eq(cases.contactId, contactId), inArray(cases.responseId, theirResponses(t, contactId)));
const theirCaseIds = (t: TenantDb, contactId: string) => t.select({ id: cases.id }).from(cases).where(theirCases(t, contactId));
const theirInvitations = (t: TenantDb, contactId: string) => t.select({ id: invitations.id }).from(invitations).where(eq(invitations.contactId, contactId));

/**
 * Everything held about one contact (the right of access): the contact, the events and
 * invitations naming them, their answers with comments and every answer, and the cases opened
 * from those answers with their timelines.
 */
export async function contactHoldings(t: TenantDb, contact: Contact) {
  const [invitationRows, eventRows, responseRows, caseRows, caseEventRows] = await t.batch([
    t.select().from(invitations).where(eq(invitations.contactId, contact.id)).orderBy(asc(invitations.createdAt)),
    t.select().from(events).where(eq(events.contactId, contact.id)).orderBy(asc(events.occurredAt)),
    t.select().from(responses).where(eq(responses.contactId, contact.id)).orderBy(asc(responses.createdAt)),
    t.select().from(cases).where(theirCases(t, contact.id)).orderBy(asc(cases.createdAt)),
    t
      .select()
      .from(caseEvents)
      .where(inArray(caseEvents.caseId, theirCaseIds(t, contact.id)))
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
      // The cases of a contact are detractor cases (an at-risk case names an account, no contact or answer).
      responseId: k.responseId!,
      unitId: k.unitId,
      status: k.status,
      score: k.score!,
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
  t: TenantDb,
  contact: Contact,
  now: number,
): Promise<{ statements: BatchItem<'sqlite'>[]; counts: { responses: number; invitations: number; cases: number; events: number } }> {
  const [versions, [counts]] = await t.batch([
    t
      .selectDistinct({ surveyId: responses.surveyId, version: responses.surveyVersion, definition: surveyVersions.definition })
      .from(responses)
      .innerJoin(surveyVersions, and(eq(surveyVersions.surveyId, responses.surveyId), eq(surveyVersions.version, responses.surveyVersion)))
      .where(eq(responses.contactId, contact.id)),
    t.all<{ responses: number; invitations: number; cases: number; events: number }>(sql`select
      (select count(*) from ${responses} where ${t.owns(responses)} and ${responses.contactId} = ${contact.id}) as responses,
      (select count(*) from ${invitations} where ${t.owns(invitations)} and ${invitations.contactId} = ${contact.id}) as invitations,
      (select count(*) from ${cases} where ${t.owns(cases)} and ${theirCases(t, contact.id)}) as cases,
      (select count(*) from ${events} where ${t.owns(events)} and ${events.contactId} = ${contact.id}) as events`),
  ]);
  const mine = eq(responses.contactId, contact.id);
  const statements: BatchItem<'sqlite'>[] = [];
  // Free-text and hidden answers (the comment questions, and what the link carried) of each version answered.
  for (const v of versions) {
    const questions = (v.definition as { questions?: { id: string; type: string }[] }).questions ?? [];
    const paths = questions.filter((q) => q.type === 'comment' || q.type === 'hidden').map((q) => `$."${q.id}"`);
    if (!paths.length) continue;
    const removed = paths.reduce<SQL>((expr, p) => sql`json_remove(${expr}, ${p})`, sql`${responses.answers}`);
    statements.push(
      t
        .update(responses)
        .set({ answers: removed })
        .where(and(mine, eq(responses.surveyId, v.surveyId), eq(responses.surveyVersion, v.version))),
    );
  }
  const invitationIds = theirInvitations(t, contact.id);
  const recipients = [contact.email, contact.phone].filter((x): x is string => x !== null);
  statements.push(
    t
      .update(caseEvents)
      .set({ note: null, reason: null })
      .where(inArray(caseEvents.caseId, theirCaseIds(t, contact.id))),
    t.update(cases).set({ contactId: null }).where(theirCases(t, contact.id)),
    // The analyses of their comments and of notes on their cases: derived from what is erased.
    t.delete(commentAnalyses).where(inArray(commentAnalyses.responseId, theirResponses(t, contact.id))),
    t.delete(deliveryAttempts).where(inArray(deliveryAttempts.invitationId, invitationIds)),
    t.delete(devOutbox).where(or(inArray(devOutbox.invitationId, invitationIds), recipients.length ? inArray(devOutbox.recipient, recipients) : undefined)),
    t.update(events).set({ contactId: null, attributes: {}, invitationId: null }).where(eq(events.contactId, contact.id)),
    t.update(responses).set({ contactId: null, invitationId: null, comment: null, clientHash: null, networkHash: null, updatedAt: now }).where(mine),
    t.delete(invitations).where(eq(invitations.contactId, contact.id)),
    // Earlier audit rows about the contact keep their action and time, not the external id.
    t
      .update(auditLog)
      .set({ details: sql`json_remove(${auditLog.details}, '$.externalId')` })
      .where(and(eq(auditLog.targetType, 'contact'), eq(auditLog.targetId, contact.id), isNotNull(auditLog.details))),
    t.delete(contacts).where(eq(contacts.id, contact.id)),
    webhookEvent(t, 'contact.erased', { contactId: contact.id, externalId: contact.externalId, erasedAt: iso(now) }, now),
  );
  return { statements, counts: counts ?? { responses: 0, invitations: 0, cases: 0, events: 0 } };
}

const requireContactAdmin = (d: Deps) => requireTenantWide(d, 'contact.manage', 'erasing or exporting a contact');

/**
 * The right of access: everything held about the contact named by its external id (404 when
 * none), with the contact itself. Who read a person's data is itself kept: the audit row names
 * the contact, not the data.
 */
export async function exportContact(d: Deps, externalId: string) {
  await requireContactAdmin(d);
  const contact = await findContact(d.t, externalId);
  if (!contact) throw notFound('contact');
  const holdings = await contactHoldings(d.t, contact);
  await commit(
    d.t,
    await audit(d, {
      action: 'contact.export',
      targetType: 'contact',
      targetId: contact.id,
      details: { responses: holdings.responses.length, invitations: holdings.invitations.length, cases: holdings.cases.length },
    }),
  );
  return { contact, holdings };
}

/** The right to erasure: erases the contact named by its external id (404 when none), audited with a keyed hash of the id in the same batch. */
export async function eraseContact(d: Deps, externalId: string): Promise<void> {
  await requireContactAdmin(d);
  const contact = await findContact(d.t, externalId);
  if (!contact) throw notFound('contact');
  const now = Date.now();
  const { statements, counts } = await erasureStatements(d.t, contact, now);
  await commit(d.t, [
    ...statements,
    ...(await audit(d, {
      action: 'contact.erase',
      targetType: 'contact',
      targetId: contact.id,
      details: { externalIdHash: await externalIdHash(d.config, d.actor.tenantId, externalId), ...counts },
    })),
  ]);
}
