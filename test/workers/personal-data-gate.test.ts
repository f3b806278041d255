import { parse } from 'csv-parse/sync';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cases, contacts, responses } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { caseOf, deliverCaptured, makeAnswer } from './case-fixture';
import { call, db, makeTenant, uniq, type Fixture } from './support';

/**
 * One gate for who sees the person behind an answer (comment, contact identity, lifetime
 * value): the case, its rendered reply, the responses API and the responses CSV agree.
 */
let t: Fixture;
let caseId: string;
let comment: string;
const externalId = `crm-${uniq()}`;

beforeAll(async () => {
  t = await makeTenant('Gate');
  const d = db();
  const contactId = newId('con');
  await d.insert(contacts).values({ id: contactId, tenantId: t.tenantId, externalId, lifetimeValue: 4321.5, attributes: { name: 'Frau Berg' } });
  const a = await makeAnswer(t.tenantId, t.units.fastfix, { score: 2, contactId });
  comment = a.comment;
  await d
    .update(responses)
    .set({ lifetimeValue: 4321.5 })
    .where(and(eq(responses.tenantId, t.tenantId), eq(responses.id, a.id)));
  await deliverCaptured(t.tenantId, a.id);
  caseId = (await caseOf(t.tenantId, a.id))[0]!.id;
  // The vendor user works the case but does not own it and does not read verbatims.
  await d
    .update(cases)
    .set({ ownerUserId: t.userIds.admin! })
    .where(and(eq(cases.tenantId, t.tenantId), eq(cases.id, caseId)));
  const template = await call('POST', '/api/v1/reply-templates', { token: t.tokens.admin, body: { theme: 'sorry', locale: 'en', subject: 'Sorry, {contactName}', body: 'You wrote: {comment}' } });
  expect(template.status).toBe(201);
});

describe('the personal-data gate', () => {
  it('a case reply fills the comment and contact name only for those who see them on the case', async () => {
    const seen = await call('GET', `/api/v1/cases/${caseId}`, { token: t.tokens.vendor });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ comment: null, contact: null });
    const vendor = await call('GET', `/api/v1/cases/${caseId}/reply?theme=sorry`, { token: t.tokens.vendor });
    expect(vendor.status).toBe(200);
    expect(vendor.body).toMatchObject({ subject: 'Sorry, ', body: 'You wrote: ' });
    expect(JSON.stringify(vendor.body)).not.toContain('Berg');
    expect(JSON.stringify(vendor.body)).not.toContain(comment);
    // The admin (and the owner) see both, on the case and in the reply.
    const admin = await call('GET', `/api/v1/cases/${caseId}/reply?theme=sorry`, { token: t.tokens.admin });
    expect(admin.body).toMatchObject({ subject: 'Sorry, Frau Berg', body: `You wrote: ${comment}` });
  });

  it("the responses CSV shows a vendor neither the contact's external id nor the lifetime value", async () => {
    const csv = async (token: string) => {
      const res = await call('GET', `/api/v1/exports/responses.csv?unitId=${t.units.fastfix}`, { token });
      expect(res.status).toBe(200);
      return parse(res.body, { columns: true }) as Record<string, string>[];
    };
    const vendor = await csv(t.tokens.vendor);
    expect(vendor).toHaveLength(1);
    expect(vendor[0]).toMatchObject({ contact_external_id: '', lifetime_value: '', score: '2' });
    expect(JSON.stringify(vendor)).not.toContain(externalId);
    // The responses API shows the vendor no comment and no contact either.
    const list = await call('GET', `/api/v1/responses?unitId=${t.units.fastfix}`, { token: t.tokens.vendor });
    expect(list.body.items[0]).not.toHaveProperty('comment');
    const one = await call('GET', `/api/v1/responses/${list.body.items[0].id}`, { token: t.tokens.vendor });
    expect(one.body).toMatchObject({ comment: null, contactId: null });
    // Roles that read verbatims get them.
    const admin = await csv(t.tokens.admin);
    expect(admin[0]).toMatchObject({ contact_external_id: externalId, lifetime_value: '4321.5', comment });
  });
});
