import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { contacts, responses, surveys, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, makeTenant, type Fixture } from './support';

let t: Fixture;
let ids: Record<string, string>;

beforeAll(async () => {
  t = await makeTenant('Recon');
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const tp = newId('tp');
  const contact = (ext: string) => ({ id: newId('con'), tenantId: t.tenantId, externalId: ext, createdAt: now, updatedAt: now });
  const people = ['c-1', 'c-2', 'c-3', 'c-4'].map(contact);
  const at = (day: string) => Date.parse(`${day}T12:00:00Z`);
  const answer = (c: { id: string }, day: string, score: number) => ({
    id: newId('rsp'),
    tenantId: t.tenantId,
    touchpointId: tp,
    unitId: t.units.berlin!,
    contactId: c.id,
    surveyId,
    surveyVersion: 1,
    channel: 'email' as const,
    locale: 'en',
    score,
    counted: true,
    createdAt: at(day),
    updatedAt: now,
  });
  const ours = [answer(people[0]!, '2026-05-01', 9), answer(people[1]!, '2026-05-01', 3), answer(people[2]!, '2026-05-02', 7), answer(people[3]!, '2026-06-20', 10)];
  ids = { mismatch: ours[1]!.id, onlyOurs: ours[2]!.id };
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'visit', name: 'Visit', kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
    d.insert(contacts).values(people),
    d.insert(responses).values(ours),
  ]);
});

const upload = (csv: string, token = t.tokens.admin, type = 'text/csv') => call('POST', '/api/v1/reconciliations', { token, rawBody: csv, headers: { 'content-type': type } });

describe('reconciliation', () => {
  it('reports matches, mismatches, rows missing on each side and rejected rows', async () => {
    const csv = ['external_id,score,date', 'c-1,9,2026-05-01', 'c-2,8,2026-05-01T10:00:00Z', 'c-9,6,2026-05-02', 'c-3,eleven,2026-05-02', ''].join('\r\n');
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      rows: 4,
      matched: 1,
      mismatches: [{ externalId: 'c-2', date: '2026-05-01', score: 8, ourScore: 3, responseId: ids.mismatch }],
      missingHere: [{ row: 4, externalId: 'c-9', date: '2026-05-02', score: 6 }],
      // c-3 answered on 2 May here; the vendor's row for it was rejected. June is outside the upload's days.
      missingThere: [{ externalId: 'c-3', date: '2026-05-02', score: 7, responseId: ids.onlyOurs }],
      rejected: [{ row: 5, reason: expect.stringContaining('score') }],
    });
    const log = await call('GET', `/api/v1/audit-log?targetType=reconciliation&targetId=${res.body.id}`, { token: t.tokens.admin });
    expect(log.body.items[0]).toMatchObject({ action: 'reconciliation.run', details: { matched: 1, mismatches: 1 } });
  });

  it('refuses JSON, a missing header and non-admins', async () => {
    expect((await upload('{"a":1}', t.tokens.admin, 'application/json')).status).toBe(415);
    const noHeader = await upload('c-1,9,2026-05-01\r\nc-2,3,2026-05-01\r\n');
    expect(noHeader.status).toBe(400);
    expect((await upload('external_id,score,date\r\nc-1,9,2026-05-01\r\n', t.tokens.manager)).status).toBe(403);
  });
});
