import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, caseEvents, cases, contacts, invitations, responses, webhookDeliveries } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import worker from '../../src/worker';
import { caseOf, deliverCaptured, mergeSettings } from './case-fixture';
import { makeInvitation, makeSurvey, send, type Invite, type SurveySetup } from './capture-fixture';
import { providerSpace } from './provider';
import { call, db, makeTenant, uniq, type Fixture, runCron } from './support';

/**
 * The rights of one person: a root admin exports what is held about a contact and erases it.
 * Identity, contact details, comments, case texts and survey links go; the answers stay counted,
 * anonymously, so every score is the same before and after.
 */
let t: Fixture;
let other: Fixture;
let survey: SurveySetup;
let answered: Invite;
let open: Invite;
let responseId: string;
let caseId: string;
let contactId: string;
const externalId = `crm-${uniq()}`;
const email = `${externalId}@example.test`;
const comment = `the technician was rude to me ${uniq()}`;
const note = `called ${email}, she will think about it`;
const stub = providerSpace();

const fold = () => runCron('* * * * *');
const QUERIES = ['', '&weight=ltv', '&groupBy=segment', '&groupBy=touchpoint&weight=ltv', '&period=day&groupBy=unit'];
/** The scores API's answers for the unit, its region and the root, several cuts each. */
async function allScores() {
  const out: Record<string, unknown> = {};
  for (const unit of [t.units.berlin, t.units.emea, t.units.root])
    for (const q of QUERIES) {
      const res = await call('GET', `/api/v1/scores?unitId=${unit}${q}`, { token: t.tokens.admin });
      expect(res.status).toBe(200);
      out[`${unit}${q}`] = res.body;
    }
  return out;
}

beforeAll(async () => {
  [t, other] = await Promise.all([makeTenant('Erasure'), makeTenant('ErasureOther')]);
  await mergeSettings(t.tenantId, { minResponses: 1 });
  survey = await makeSurvey(t.tenantId);
  const put = await call('PUT', `/api/v1/contacts/${externalId}`, {
    token: t.tokens.admin,
    body: { email, phone: '+4930123456', segment: 'smb', lifetimeValue: 500, attributes: { name: 'Ada Berg' } },
  });
  expect(put.status).toBe(201);
  contactId = put.body.id;
  answered = await makeInvitation(survey, t.units.berlin, { contactId, status: 'answered' });
  open = await makeInvitation(survey, t.units.berlin, { contactId });
  responseId = newId('rsp');
  await db().insert(responses).values({
    id: responseId,
    tenantId: t.tenantId,
    invitationId: answered.id,
    touchpointId: survey.touchpointId,
    unitId: t.units.berlin!,
    contactId,
    surveyId: survey.surveyId,
    surveyVersion: 1,
    channel: 'email',
    locale: 'en',
    score: 2,
    comment,
    counted: true,
    clientHash: 'abc',
    segment: 'smb',
    lifetimeValue: 500,
    answeredAt: Date.now(),
  });
  // Someone else's answers beside it, so the scores have more than one answer.
  for (const score of [9, 10, 7])
    await db()
      .insert(responses)
      .values({
        id: newId('rsp'),
        tenantId: t.tenantId,
        touchpointId: survey.touchpointId,
        unitId: t.units.berlin!,
        surveyId: survey.surveyId,
        surveyVersion: 1,
        channel: 'email',
        locale: 'en',
        score,
        counted: true,
        segment: 'smb',
        lifetimeValue: 100,
      });
  await deliverCaptured(t.tenantId, responseId);
  caseId = (await caseOf(t.tenantId, responseId))[0]!.id;
  expect((await call('PATCH', `/api/v1/cases/${caseId}`, { token: t.tokens.admin, body: { status: 'contacted', note } })).status).toBe(200);
  const hook = await call('POST', '/api/v1/webhooks', { token: t.tokens.admin, body: { url: `${stub.url}/erased`, events: ['contact.erased'] } });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
});

describe('GET /api/v1/contacts/{externalId}/export', () => {
  it('shows what is held: the contact, invitations, answers with comments, cases with their notes', async () => {
    const res = await call('GET', `/api/v1/contacts/${externalId}/export`, { token: t.tokens.admin });
    expect(res.status).toBe(200);
    expect(res.body.contact).toMatchObject({ id: contactId, externalId, email, attributes: { name: 'Ada Berg' } });
    expect(res.body.invitations.map((i: any) => i.id).sort()).toEqual([answered.id, open.id].sort());
    expect(res.body.responses).toEqual([expect.objectContaining({ id: responseId, score: 2, comment })]);
    expect(res.body.cases).toEqual([expect.objectContaining({ id: caseId, responseId })]);
    expect(res.body.cases[0].timeline.map((e: any) => e.note)).toContain(note);
  });

  it('is for the root admin: others get 403, another tenant 404', async () => {
    for (const who of ['manager', 'analyst', 'vendor'] as const) {
      expect((await call('GET', `/api/v1/contacts/${externalId}/export`, { token: t.tokens[who] })).status).toBe(403);
      expect((await call('DELETE', `/api/v1/contacts/${externalId}`, { token: t.tokens[who] })).status).toBe(403);
    }
    expect((await call('GET', `/api/v1/contacts/${externalId}/export`, { token: other.tokens.admin })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/contacts/${externalId}`, { token: other.tokens.admin })).status).toBe(404);
    expect((await call('GET', `/api/v1/contacts/${externalId}`, { token: t.tokens.admin })).status).toBe(200);
  });
});

describe('DELETE /api/v1/contacts/{externalId}', () => {
  it('erases the person and keeps their scores, anonymously', async () => {
    await fold();
    const before = await allScores();
    expect((await send('GET', answered.path)).status).toBe(200);
    expect((await send('GET', open.path)).status).toBe(200);

    const res = await call('DELETE', `/api/v1/contacts/${externalId}`, { token: t.tokens.admin });
    expect(res.status, JSON.stringify(res.body)).toBe(204);

    // Scores identical, from the rollups and after another fold.
    expect(await allScores()).toEqual(before);
    await fold();
    expect(await allScores()).toEqual(before);

    // Nothing to export or read; the links are dead.
    expect((await call('GET', `/api/v1/contacts/${externalId}/export`, { token: t.tokens.admin })).status).toBe(404);
    expect((await call('GET', `/api/v1/contacts/${externalId}`, { token: t.tokens.admin })).status).toBe(404);
    for (const link of [answered, open]) expect([404, 410]).toContain((await send('GET', link.path)).status);

    const d = db();
    expect(await d.select().from(contacts).where(eq(contacts.id, contactId))).toEqual([]);
    expect(
      await d
        .select()
        .from(invitations)
        .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.contactId, contactId))),
    ).toEqual([]);
    const [row] = await d.select().from(responses).where(eq(responses.id, responseId));
    expect(row).toMatchObject({ score: 2, counted: true, unitId: t.units.berlin, segment: 'smb', lifetimeValue: 500, contactId: null, invitationId: null, comment: null, clientHash: null });
    const [k] = await d.select().from(cases).where(eq(cases.id, caseId));
    expect(k).toMatchObject({ contactId: null, score: 2 });
    const timeline = await d.select().from(caseEvents).where(eq(caseEvents.caseId, caseId));
    expect(JSON.stringify(timeline)).not.toContain(email);
    const caseView = await call('GET', `/api/v1/cases/${caseId}`, { token: t.tokens.admin });
    expect(caseView.body).toMatchObject({ comment: null, contact: null });

    // Audited, without the external id in clear anywhere in the contact's audit trail.
    const audit = await call('GET', `/api/v1/audit-log?targetType=contact&targetId=${contactId}`, { token: t.tokens.admin });
    const erased = audit.body.items.find((r: any) => r.action === 'contact.erase');
    expect(erased).toBeDefined();
    expect(erased.details).toMatchObject({ externalIdHash: expect.any(String), responses: 1, invitations: 2, cases: 1 });
    expect(JSON.stringify(audit.body.items)).not.toContain(externalId);
    expect(
      await d
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'contact.erase'))),
    ).toHaveLength(1);
  });

  it('tells webhook subscribers: the stand-in receives contact.erased', async () => {
    const [delivery] = await db()
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, t.tenantId), eq(webhookDeliveries.eventType, 'contact.erased')));
    expect(delivery).toBeDefined();
    const body = { type: 'webhook.deliver', tenantId: t.tenantId, deliveryId: delivery!.id, attempts: 0, idempotencyKey: `webhook.deliver:${delivery!.id}:0` };
    const batch = createMessageBatch('nps-workflow', [{ id: `m-${uniq()}`, timestamp: new Date(), attempts: 1, body }]);
    await worker.queue(batch as never, env as never);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toHaveLength(1);
    const requests = await stub.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe('/erased');
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ type: 'contact.erased', data: { contactId, externalId } });
  });

  it('a contact imported again with the same id is a new one, not linked to the erased answers, and erases the same way', async () => {
    const again = await call('PUT', `/api/v1/contacts/${externalId}`, { token: t.tokens.admin, body: { email } });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(contactId);
    const held = await call('GET', `/api/v1/contacts/${externalId}/export`, { token: t.tokens.admin });
    expect(held.body).toMatchObject({ invitations: [], responses: [], cases: [], events: [] });
    expect((await call('DELETE', `/api/v1/contacts/${externalId}`, { token: t.tokens.admin })).status).toBe(204);
    expect((await call('DELETE', `/api/v1/contacts/${externalId}`, { token: t.tokens.admin })).status).toBe(404);
  });
});
