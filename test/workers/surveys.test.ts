import { beforeAll, describe, expect, it } from 'vitest';
import { call, makeTenant, uniq, type Fixture } from './support';

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Surveys');
});

const admin = () => t.tokens.admin;
const newSurvey = async (body: Record<string, unknown> = {}) => {
  const res = await call('POST', '/api/v1/surveys', { token: admin(), body: { name: `Survey ${uniq()}`, ...body } });
  expect(res.status).toBe(201);
  return res.body;
};

describe('surveys', () => {
  it('starts from the standard NPS survey with complete en and de texts, and publishes version 1', async () => {
    const survey = await newSurvey();
    expect(survey.draft.questions.map((q: any) => q.type)).toEqual(['nps', 'comment']);
    expect(Object.keys(survey.draft.translations).sort()).toEqual(['de', 'en']);
    expect(survey.missingTexts).toEqual({});
    expect(survey.publishedVersion).toBeNull();
    const published = await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() });
    expect(published.status).toBe(201);
    expect(published.body).toEqual({ version: 1 });
    // Nothing changed: the same version, no new one.
    const again = await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ version: 1, unchanged: true });
    expect((await call('GET', `/api/v1/surveys/${survey.id}/versions`, { token: admin() })).body.items).toHaveLength(1);
  });

  it('refuses to publish a draft that lacks texts: 422 listing each missing key per locale, nothing published', async () => {
    const survey = await newSurvey();
    const draft = structuredClone(survey.draft);
    draft.questions.push({ id: 'effort', type: 'ces' });
    draft.translations.en['effort.label'] = 'How easy was it?';
    const edited = await call('PATCH', `/api/v1/surveys/${survey.id}`, { token: admin(), body: { definition: draft } });
    expect(edited.status).toBe(200);
    expect(edited.body.missingTexts).toEqual({ en: ['effort.low', 'effort.high'], de: ['effort.label', 'effort.low', 'effort.high'] });
    const res = await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('UNPROCESSABLE');
    expect(res.body.error.details.missing).toEqual(edited.body.missingTexts);
    expect((await call('GET', `/api/v1/surveys/${survey.id}`, { token: admin() })).body.publishedVersion).toBeNull();
    expect((await call('GET', `/api/v1/surveys/${survey.id}/versions`, { token: admin() })).body.items).toEqual([]);
  });

  it('versions are immutable: a retired question stays readable in the version that had it', async () => {
    const survey = await newSurvey();
    expect((await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() })).body.version).toBe(1);
    const draft = structuredClone(survey.draft);
    draft.questions = draft.questions.filter((q: any) => q.id !== 'reason');
    for (const texts of Object.values(draft.translations) as Record<string, string>[]) for (const k of Object.keys(texts)) if (k.startsWith('reason.')) delete texts[k];
    expect((await call('PATCH', `/api/v1/surveys/${survey.id}`, { token: admin(), body: { definition: draft } })).status).toBe(200);
    expect((await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() })).body).toEqual({ version: 2 });
    const v1 = await call('GET', `/api/v1/surveys/${survey.id}/versions/1`, { token: admin() });
    const v2 = await call('GET', `/api/v1/surveys/${survey.id}/versions/2`, { token: admin() });
    expect(v1.body.definition.questions.map((q: any) => q.id)).toEqual(['nps', 'reason']);
    expect(v1.body.definition.translations.de['reason.label.detractor']).toBeTruthy();
    expect(v2.body.definition.questions.map((q: any) => q.id)).toEqual(['nps']);
    expect((await call('GET', `/api/v1/surveys/${survey.id}/versions/3`, { token: admin() })).status).toBe(404);
    const history = (await call('GET', `/api/v1/surveys/${survey.id}/versions`, { token: admin() })).body.items.map((v: any) => v.version);
    expect(history).toEqual([2, 1]);
  });

  it('refuses malformed definitions with 400 naming the field', async () => {
    const base = (await newSurvey()).draft;
    const bad: [string, (d: any) => void][] = [
      ['two nps questions', (d) => d.questions.push({ id: 'nps2', type: 'nps' })],
      ['nps not first', (d) => d.questions.reverse()],
      ['a duplicate id', (d) => d.questions.push({ id: 'reason', type: 'csat' })],
      ['a choice without options', (d) => d.questions.push({ id: 'pick', type: 'single' })],
      ['options on a comment', (d) => (d.questions[1].options = ['a', 'b'])],
      ['an unknown question type', (d) => d.questions.push({ id: 'x', type: 'slider' })],
      ['an unknown field', (d) => (d.questions[0].weight = 2)],
      ['a bad locale tag', (d) => (d.translations['Deutsch!'] = {})],
    ];
    for (const [what, mutate] of bad) {
      const draft = structuredClone(base);
      mutate(draft);
      const res = await call('POST', '/api/v1/surveys', { token: admin(), body: { name: what, definition: draft } });
      expect(res.status, what).toBe(400);
      expect(res.body.error.details[0].path, what).toMatch(/^body\.definition/);
    }
  });
});

describe('touchpoints', () => {
  it('creates one with its survey, channels, delay and rules; the key is unique per tenant', async () => {
    const survey = await newSurvey();
    const key = `support-resolution-${uniq()}`;
    const body = {
      key,
      name: 'Support resolution',
      kind: 'support_resolution',
      surveyId: survey.id,
      channels: ['email', 'sms'],
      delayMinutes: 1440,
      reminderAfterDays: 3,
      rules: { fatigueDays: 30, dailyCap: 500, sampling: { enterprise: 1, '*': 0.2 } },
    };
    const res = await call('POST', '/api/v1/touchpoints', { token: admin(), body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...body, active: true });
    const dup = await call('POST', '/api/v1/touchpoints', { token: admin(), body });
    expect(dup.status).toBe(409);
    // Another tenant may use the same key.
    const other = await makeTenant('Other');
    const theirSurvey = (await call('POST', '/api/v1/surveys', { token: other.tokens.admin, body: { name: 'S' } })).body;
    expect((await call('POST', '/api/v1/touchpoints', { token: other.tokens.admin, body: { ...body, surveyId: theirSurvey.id } })).status).toBe(201);
  });

  it('refuses bad input with 4xx and writes nothing', async () => {
    const survey = await newSurvey();
    const ok = { key: `visit-${uniq()}`, name: 'Visit', kind: 'site_visit', surveyId: survey.id, channels: ['email'] };
    const cases: [string, Record<string, unknown>, number][] = [
      ['a key with spaces', { ...ok, key: 'Site Visit' }, 400],
      ['an unknown channel', { ...ok, channels: ['fax'] }, 400],
      ['a channel twice', { ...ok, channels: ['email', 'email'] }, 400],
      ['no channel', { ...ok, channels: [] }, 400],
      ['an unknown rule', { ...ok, rules: { coolDown: 3 } }, 400],
      ['a sampling rate above 1', { ...ok, rules: { sampling: { '*': 1.5 } } }, 400],
      ['a negative delay', { ...ok, delayMinutes: -5 }, 400],
      ['an unknown kind', { ...ok, kind: 'party' }, 400],
      ['an unknown survey', { ...ok, surveyId: 'srv_nope' }, 404],
    ];
    for (const [what, body, status] of cases) {
      const res = await call('POST', '/api/v1/touchpoints', { token: admin(), body });
      expect(res.status, what).toBe(status);
    }
    const listed = (await call('GET', '/api/v1/touchpoints', { token: admin() })).body.items.map((x: any) => x.key);
    expect(listed).not.toContain(ok.key);
  });

  it('changes rules and deactivates, audited', async () => {
    const survey = await newSurvey();
    const tp = (await call('POST', '/api/v1/touchpoints', { token: admin(), body: { key: `invoice-${uniq()}`, name: 'Invoice', kind: 'invoice', surveyId: survey.id, channels: ['email'] } })).body;
    const res = await call('PATCH', `/api/v1/touchpoints/${tp.id}`, { token: admin(), body: { active: false, rules: { suppressAfterNegativeDays: 14 }, reminderAfterDays: null } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: false, rules: { suppressAfterNegativeDays: 14 }, reminderAfterDays: null, key: tp.key });
    const log = (await call('GET', `/api/v1/audit-log?targetType=touchpoint&targetId=${tp.id}`, { token: admin() })).body.items.map((e: any) => e.action);
    expect(log).toEqual(['touchpoint.update', 'touchpoint.create']);
  });
});
