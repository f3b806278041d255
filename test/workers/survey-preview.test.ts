import { beforeAll, describe, expect, it } from 'vitest';
import { call, makeTenant, uniq, type Fixture } from './support';

/**
 * The editor's live preview: POST /api/v1/surveys/{id}/preview renders the hosted survey page
 * of the stored or an unsaved draft in one locale, inert (no link, no action, no script), and
 * changes nothing.
 */

let t: Fixture;
let other: Fixture;
let survey: { id: string; draft: any; requiredTexts: string[] };

// The texts this test writes itself, so what the page shows is known independently of the template.
const DE_LABEL = 'Würden Sie uns einer Kollegin empfehlen? (Vorschau-Test)';
const AR_TEXTS: Record<string, string> = {
  'page.title': 'رأيك يهمنا',
  'page.submit': 'إرسال',
  'page.thanks': 'شكرا لك',
  'page.expired': 'انتهى الاستطلاع',
  'nps.label': 'ما مدى احتمال أن توصي بنا لصديق؟',
  'nps.low': 'غير محتمل',
  'nps.high': 'محتمل جدا',
  'reason.label.detractor': 'ما الذي كان يجب أن نفعله بشكل أفضل؟',
  'reason.label.passive': 'ما الذي يجعلنا نحصل على 10؟',
  'reason.label.promoter': 'ما الذي أعجبك أكثر؟',
};

const preview = (body: unknown, token = t.tokens.admin, id = survey.id) => call('POST', `/api/v1/surveys/${id}/preview`, { token, body });
const stored = async () => (await call('GET', `/api/v1/surveys/${survey.id}`, { token: t.tokens.admin })).body;

beforeAll(async () => {
  [t, other] = await Promise.all([makeTenant('Preview'), makeTenant('Elsewhere')]);
  const created = await call('POST', '/api/v1/surveys', { token: t.tokens.admin, body: { name: `Preview ${uniq()}` } });
  expect(created.status).toBe(201);
  const draft = structuredClone(created.body.draft);
  draft.translations.de['nps.label'] = DE_LABEL;
  draft.translations.ar = AR_TEXTS;
  const saved = await call('PATCH', `/api/v1/surveys/${created.body.id}`, { token: t.tokens.admin, body: { definition: draft } });
  expect(saved.status).toBe(200);
  survey = saved.body;
});

describe('survey preview', () => {
  it('renders the stored draft in German, inert: a banner, no form action, no script, the button disabled', async () => {
    const res = await preview({ locale: 'de' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = res.body as string;
    expect(page).toMatch(/<html lang="de" dir="ltr">/);
    expect(page).toContain(DE_LABEL);
    expect(page).toContain(survey.draft.translations.de['page.submit']);
    expect(page).not.toContain(survey.draft.translations.en['nps.label']);
    expect(page).toMatch(/class="preview"[^>]*>[^<]*cannot be sent/);
    expect(page).not.toMatch(/<form[^>]*action=/);
    expect(page).not.toContain('<script');
    expect(page).toMatch(/<button type="submit" disabled>/);
    // The follow-up question is shown (not hidden until a score), so its text can be checked.
    expect(page).toContain(survey.draft.translations.de['reason.label.detractor']);
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('renders Arabic right to left', async () => {
    const res = await preview({ locale: 'ar' });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/<html lang="ar" dir="rtl">/);
    for (const key of ['page.title', 'nps.label', 'nps.low', 'nps.high', 'page.submit']) expect(res.body).toContain(AR_TEXTS[key]);
  });

  it("shows the editor's unsaved draft and stores nothing", async () => {
    const before = await stored();
    const audit = async () => (await call('GET', `/api/v1/audit-log?targetId=${survey.id}`, { token: t.tokens.admin })).body.items.length;
    const auditBefore = await audit();
    const draft = structuredClone(before.draft);
    draft.translations.de['nps.label'] = 'Noch nicht gespeichert: würden Sie uns empfehlen?';
    draft.translations.de['page.title'] = 'Entwurf <script>alert(1)</script>';
    const res = await preview({ locale: 'de', draft });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Noch nicht gespeichert: würden Sie uns empfehlen?');
    expect(res.body).not.toContain(DE_LABEL);
    // Texts are escaped, never markup.
    expect(res.body).toContain('Entwurf &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script>alert(1)');
    expect(await stored()).toEqual(before);
    expect(await audit()).toBe(auditBefore);
  });

  it('a locale the draft lacks answers 422 with the envelope; a new column with few texts renders and counts what is missing', async () => {
    const res = await preview({ locale: 'fr' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('UNPROCESSABLE');
    expect(res.body.error.message).toContain('fr');
    expect(res.body.error.details.locales.sort()).toEqual(['ar', 'de', 'en']);
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));

    const draft = structuredClone(survey.draft);
    draft.translations.fr = { 'page.title': 'Votre avis' };
    const partial = await preview({ locale: 'fr', draft });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatch(/<html lang="fr" dir="ltr">/);
    expect(partial.body).toContain('Votre avis');
    // The standard survey needs 10 texts per locale (4 page texts, nps label and two ends, three
    // comment prompts), as the survey's requiredTexts (the editor's rows) says; fr has one. The
    // others fall back to English, as on the hosted page.
    expect(survey.requiredTexts).toEqual([
      'page.title',
      'page.submit',
      'page.thanks',
      'page.expired',
      'nps.label',
      'nps.low',
      'nps.high',
      'reason.label.detractor',
      'reason.label.passive',
      'reason.label.promoter',
    ]);
    expect(partial.body).toContain('9 texts missing in fr, shown in en');
    expect(partial.body).toContain(survey.draft.translations.en['nps.label']);
  });

  it('refuses bad input with 400 or 415 and the envelope', async () => {
    const twoNps = structuredClone(survey.draft);
    twoNps.questions.push({ id: 'nps2', type: 'nps' });
    const cases: [unknown, string][] = [
      [{ locale: 'de', draft: twoNps }, 'body.draft.questions'],
      [{ locale: 'Deutsch!' }, 'body.locale'],
      [{}, 'body.locale'],
      [{ locale: 'de', tenantId: other.tenantId }, 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await preview(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.map((d: any) => d.path).join(' ')).toContain(path);
    }
    const form = await call('POST', `/api/v1/surveys/${survey.id}/preview`, { token: t.tokens.admin, rawBody: 'locale=de', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it("another tenant's survey is not found, even for its admin", async () => {
    const res = await preview({ locale: 'de' }, other.tokens.admin);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(JSON.stringify(res.body)).not.toContain(DE_LABEL);
    const ghost = await preview({ locale: 'de' }, t.tokens.admin, 'srv_doesnotexist');
    expect(ghost.status).toBe(404);
  });

  it('whoever reads survey designs may preview (admin, analyst, managers); others get 403', async () => {
    const expected: Record<string, number> = { admin: 200, analyst: 200, manager: 200, siteManager: 200, agent: 403, vendor: 403, otherVendor: 403, viewer: 403 };
    for (const [login, status] of Object.entries(expected)) {
      const res = await preview({ locale: 'de' }, t.tokens[login as keyof typeof t.tokens]);
      expect(res.status, login).toBe(status);
      if (status === 200) expect(res.body).toContain(DE_LABEL);
      else expect(JSON.stringify(res.body)).not.toContain(DE_LABEL);
    }
  });
});
