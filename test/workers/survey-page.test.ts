import { and, eq } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invitations, tenants } from '../../src/db/schema';
import { TenantDb } from '../../src/db/tenant-db';
import { hex } from '../../src/lib/ids';
import { signSurveyLink } from '../../src/surveys/token';
import { signTouchpointLink } from '../../src/survey-page/touchpoint-token';
import { WIDGET_SCRIPT } from '../../src/widget/script';
import { widgetKeyLookup } from '../../src/widget/session';
import { anonymousLink, config, fullSurvey, invitationOf, invitationState, makeContact, makeInvitation, makeSurvey, responseOf, send, sent, type SurveySetup } from './capture-fixture';
import { db, makeTenant, uniq, type Fixture } from './support';

let t: Fixture;
let std: SurveySetup;
let full: SurveySetup;
beforeAll(async () => {
  t = await makeTenant('Page');
  [std, full] = await Promise.all([makeSurvey(t.tenantId), makeSurvey(t.tenantId, { definition: fullSurvey() })]);
});
beforeEach(() => {
  sent.length = 0;
});

const htmlAttr = (text: string, tag: string, attr: string) => new RegExp(`<${tag}[^>]*\\s${attr}="([^"]*)"`).exec(text)?.[1];

describe('GET /s/:token', () => {
  it('renders the survey: lang, a labelled 0-10 radio group with its ends, a plain form, under 30 KB', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const res = await send('GET', inv.path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.bytes).toBeLessThan(30 * 1024);
    const page = res.text;
    expect(htmlAttr(page, 'html', 'lang')).toBe('en');
    expect(htmlAttr(page, 'html', 'dir')).toBe('ltr');
    expect(page).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(page).toMatch(/<fieldset id="nps"><legend>How likely are you to recommend Acme to a friend or colleague\?<\/legend>/);
    for (let v = 0; v <= 10; v++) {
      expect(page).toContain(`<input type="radio" id="nps-${v}" name="score" value="${v}"`);
      expect(page).toContain(`<label for="nps-${v}">${v}</label>`);
    }
    expect(page).toMatch(/id="nps-0" name="score" value="0" aria-describedby="nps-low"/);
    expect(page).toMatch(/id="nps-10" name="score" value="10" aria-describedby="nps-high"/);
    expect(page).toContain('<span id="nps-low">Not at all likely</span><span id="nps-high">Extremely likely</span>');
    expect(page).toMatch(new RegExp(`<form id="f" method="post" action="${inv.path.replace(/\./g, '\\.')}"`));
    // Follow-ups are there for the script, hidden and disabled (so a plain POST sends only the score).
    expect(page).toContain('<fieldset id="fu" hidden disabled>');
    expect(page).toContain('data-detractor="We are sorry. What should we have done better?"');
    // No framework, nothing loaded from elsewhere: one inline script with the CSP nonce.
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\//);
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
    expect(page).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it("chooses the locale: the contact's, then Accept-Language, then the survey default", async () => {
    const plain = await makeInvitation(std, t.units.berlin);
    const de = await send('GET', plain.path, { headers: { 'accept-language': 'fr;q=0.9, de-AT;q=0.8' } });
    expect(htmlAttr(de.text, 'html', 'lang')).toBe('de');
    expect(de.text).toContain('Wie wahrscheinlich ist es, dass Sie Acme einem Freund oder Kollegen empfehlen?');
    const fallback = await send('GET', plain.path, { headers: { 'accept-language': 'ja, zh;q=0.5' } });
    expect(htmlAttr(fallback.text, 'html', 'lang')).toBe('en');
    const german = await makeContact(t.tenantId, { locale: 'de-DE' });
    const inv = await makeInvitation(std, t.units.berlin, { contactId: german.id });
    const contactWins = await send('GET', inv.path, { headers: { 'accept-language': 'en' } });
    expect(htmlAttr(contactWins.text, 'html', 'lang')).toBe('de');
    expect(contactWins.text).toContain('Überhaupt nicht wahrscheinlich');
  });

  it('renders right to left for an RTL locale', async () => {
    const inv = await makeInvitation(full, t.units.berlin);
    const res = await send('GET', inv.path, { headers: { 'accept-language': 'ar-EG' } });
    expect(htmlAttr(res.text, 'html', 'lang')).toBe('ar');
    expect(htmlAttr(res.text, 'html', 'dir')).toBe('rtl');
    expect(res.text).toContain('ما مدى احتمال أن توصي بنا لصديق أو زميل؟');
    expect(res.bytes).toBeLessThan(30 * 1024);
  });

  it("carries hidden-question values from the link's query string into the form", async () => {
    const inv = await makeInvitation(full, t.units.berlin);
    const res = await send('GET', `${inv.path}?order=A-42&nope=1`);
    expect(res.text).toContain('<input type="hidden" name="q.order" value="A-42">');
    expect(res.text).not.toContain('nope');
  });

  it('escapes survey texts', async () => {
    const def = fullSurvey();
    def.translations.en!['page.title'] = '<img src=x onerror=alert(1)>';
    const s = await makeSurvey(t.tenantId, { definition: def });
    const res = await send('GET', (await makeInvitation(s, t.units.berlin)).path);
    expect(res.text).not.toContain('<img');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('links that do not work get a friendly page', () => {
  const expectFriendly = (res: Awaited<ReturnType<typeof send>>, status: number, text: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain(text);
    // No error envelope, stack or token library's words leak. The page's CSP nonce is random
    // base64url and can spell JWS or JWT (22 characters: 315 of 2,000,000 nonces drawn in Node did, about 1 in 6,350), so it is left out.
    expect(res.text.replace(/nonce="[^"]*"/g, '')).not.toMatch(/"error"|stack|at .*\.ts|JWS|JWT/);
  };

  it('forged, altered, truncated: "this link is not valid" (404), localized', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const [h, p, s] = inv.token.split('.') as [string, string, string];
    const altered = `${h}.${p.slice(0, -2)}${p.endsWith('A') ? 'B' : 'A'}${p.slice(-1)}.${s}`;
    for (const token of ['garbage', `${h}.${p}.${s.slice(0, -4)}AAAA`, altered, `${h}.${p}`, 'a'.repeat(3000)]) {
      expectFriendly(await send('GET', `/s/${token}`), 404, 'This link is not valid');
    }
    const de = await send('GET', '/s/garbage', { headers: { 'accept-language': 'de-CH,de;q=0.9' } });
    expectFriendly(de, 404, 'Dieser Link ist ungültig');
    expect(htmlAttr(de.text, 'html', 'lang')).toBe('de');
    const he = await send('GET', '/s/garbage', { headers: { 'accept-language': 'he' } });
    expect(htmlAttr(he.text, 'html', 'dir')).toBe('rtl');
  });

  it('a token signed with another key, or of another audience, is not valid', async () => {
    const { SignJWT } = await import('jose');
    const foreign = await new SignJWT({ tid: t.tenantId, sv: 1 })
      .setProtectedHeader({ alg: 'HS256', kid: 'test-2' })
      .setSubject('inv_x')
      .setIssuer('nps-platform')
      .setAudience('survey')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('some-other-secret-that-is-long-enough-0000'));
    expectFriendly(await send('GET', `/s/${foreign}`), 404, 'This link is not valid');
    const session = await new SignJWT({ tid: t.tenantId, sid: 'ses_x' })
      .setProtectedHeader({ alg: 'HS256', kid: 'test-2' })
      .setSubject('usr_x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('test-signing-key-two-000000000000000000'));
    expectFriendly(await send('GET', `/s/${session}`), 404, 'This link is not valid');
  });

  it('expired: "this survey has closed" (410), localized; so is a closed invitation, in the survey\'s words', async () => {
    const old = await makeInvitation(std, t.units.berlin, { expiresAt: Date.now() - 60_000 });
    expectFriendly(await send('GET', old.path), 410, 'This survey has closed');
    expectFriendly(await send('GET', old.path, { headers: { 'accept-language': 'fr' } }), 410, 'Cette enquête est close');
    const expiredLink = await anonymousLink(std, t.units.berlin, Date.now() - 1000);
    expectFriendly(await send('GET', expiredLink.path), 410, 'This survey has closed');
    // A valid token whose invitation was cancelled, or has expired by its own date.
    const cancelled = await makeInvitation(std, t.units.berlin, { status: 'cancelled' });
    expectFriendly(await send('GET', cancelled.path, { headers: { 'accept-language': 'de' } }), 410, 'Diese Umfrage ist beendet.');
    const lapsed = await makeInvitation(std, t.units.berlin, { expiresAt: Date.now() - 1000, tokenExpiresAt: Date.now() + 60_000 });
    expectFriendly(await send('GET', lapsed.path), 410, 'This survey has closed.');
  });

  it('a token naming another tenant, a missing invitation or a wrong version is not valid', async () => {
    const other = await makeTenant('PageOther');
    const inv = await makeInvitation(std, t.units.berlin);
    const wrongTenant = await signSurveyLink(config(), { tenantId: other.tenantId, invitationId: inv.id, surveyVersion: 1 }, Date.now() + 60_000);
    expectFriendly(await send('GET', `/s/${wrongTenant}`), 404, 'This link is not valid');
    const missing = await signSurveyLink(config(), { tenantId: t.tenantId, invitationId: 'inv_missing', surveyVersion: 1 }, Date.now() + 60_000);
    expectFriendly(await send('GET', `/s/${missing}`), 404, 'This link is not valid');
    const version = await signSurveyLink(config(), { tenantId: t.tenantId, invitationId: inv.id, surveyVersion: 2 }, Date.now() + 60_000);
    expectFriendly(await send('GET', `/s/${version}`), 404, 'This link is not valid');
    const otherTouchpoint = await signTouchpointLink(config(), { tenantId: other.tenantId, touchpointId: std.touchpointId, unitId: t.units.berlin! }, Date.now() + 60_000);
    expectFriendly(await send('GET', `/s/${otherTouchpoint}`), 404, 'This link is not valid');
    const otherUnit = await signTouchpointLink(config(), { tenantId: t.tenantId, touchpointId: std.touchpointId, unitId: other.units.berlin! }, Date.now() + 60_000);
    expectFriendly(await send('GET', `/s/${otherUnit}`), 404, 'This link is not valid');
  });
});

describe('answered already', () => {
  it('shows the comment step while the comment is missing, then the thank-you', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    await send('POST', inv.path, { json: { score: 9 } });
    const step = await send('GET', inv.path);
    expect(step.status).toBe(200);
    expect(step.text).toContain('Great to hear! What did you like most?');
    expect(step.text).toContain('Your score: 9');
    expect(step.text).not.toContain('name="score"');
    await send('POST', inv.path, { json: { comment: 'Quick fix' } });
    const done = await send('GET', inv.path);
    expect(done.text).toContain('<h1>Thank you for your feedback.</h1>');
    expect(done.text).not.toContain('<form');
  });

  it('a survey without follow-ups thanks right after the score', async () => {
    const def = fullSurvey();
    def.questions = def.questions.filter((q) => q.type === 'nps');
    const s = await makeSurvey(t.tenantId, { definition: def });
    const inv = await makeInvitation(s, t.units.berlin);
    const res = await send('POST', inv.path, { form: { score: '6', step: '1', state: await invitationState(inv) } });
    expect(res.text).toContain('<h1>Thank you for your feedback.</h1>');
    expect((await invitationOf(t.tenantId, inv.id)).status).toBe('answered');
  });
});

describe('page two honours skip logic', () => {
  it('a detractor sees the detractor prompt and the detractor-only question; a promoter sees theirs', async () => {
    const [d, p] = await Promise.all([makeInvitation(full, t.units.berlin), makeInvitation(full, t.units.berlin)]);
    const detractor = await send('POST', d.path, { form: { score: '1', step: '1' } });
    expect(detractor.text).toContain('<label for="q-reason">What went wrong?</label>');
    expect(detractor.text).toContain('What should we fix first?');
    expect(detractor.text).not.toContain('Whom should we thank?');
    expect(detractor.text).toContain('<fieldset id="q-sat"><legend>How satisfied are you with the repair?</legend>');
    expect(detractor.text).toMatch(/<input type="radio" id="q-sat-1" name="q\.sat" value="1" aria-describedby="q-sat-low"/);
    const promoter = await send('POST', p.path, { form: { score: '10', step: '1' } });
    expect(promoter.text).toContain('<label for="q-reason">What did you like most?</label>');
    expect(promoter.text).toContain('Whom should we thank?');
    expect(promoter.text).not.toContain('What should we fix first?');
  });
});

// ---- Widget -----------------------------------------------------------------------------------

describe('widget', () => {
  let secret: string;
  let publicKey: string;
  let inApp: SurveySetup;
  /** What the tenant's backend signs (docs/widget.md): user id, touchpoint key and unit id (empty for none), one a line. */
  const sign = async (userId: string, touchpoint = inApp.touchpointKey, unitId = '', key = secret) => {
    const k = await crypto.subtle.importKey('raw', new TextEncoder().encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return hex(await crypto.subtle.sign('HMAC', k, new TextEncoder().encode(`${userId}\n${touchpoint}\n${unitId}`)));
  };
  /** A session whose signature covers what it sends. */
  const session = async (userId: string, extra: { touchpoint?: string; unitId?: string } = {}, headers: Record<string, string> = {}) => {
    const body = { publicKey, userId, touchpoint: inApp.touchpointKey, ...extra };
    return send('POST', '/w/session', { json: { ...body, signature: await sign(userId, body.touchpoint, body.unitId) }, headers });
  };

  beforeAll(async () => {
    secret = hex(crypto.getRandomValues(new Uint8Array(32)));
    publicKey = `wpk_${t.tenantId}_${hex(crypto.getRandomValues(new Uint8Array(8)))}`;
    await db()
      .update(tenants)
      .set({ settings: { widget: { publicKey, secret }, fatigueDays: 90 } })
      .where(eq(tenants.id, t.tenantId));
    inApp = await makeSurvey(t.tenantId, { channels: ['in_app'] });
  });

  it('serves a small framework-free script', async () => {
    const res = await send('GET', '/widget.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.bytes).toBeLessThan(10 * 1024);
    expect(res.text).toBe(WIDGET_SCRIPT);
    expect(res.text).toContain('attachShadow');
    expect(res.text).not.toMatch(/import |require\(|innerHTML/);
  });

  it('answers CORS preflights for any origin, without credentials', async () => {
    const res = await send('OPTIONS', '/w/session', { headers: { origin: 'https://app.customer.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const capture = await send('OPTIONS', '/s/anything', {
      headers: { origin: 'https://app.customer.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(capture.status).toBe(204);
    expect(capture.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('the answers themselves, errors included, allow any origin without credentials (a host page reads them)', async () => {
    const origin = { origin: 'https://app.customer.example' };
    const opened = await session(`user-${uniq()}`, {}, origin);
    const answers = {
      'widget session': [opened, 200],
      'widget session, malformed': [await send('POST', '/w/session', { rawBody: '{', headers: { ...origin, 'content-type': 'application/json' } }), 400],
      'survey page': [await send('GET', `/s/${opened.body.token}`, { headers: origin }), 200],
      answer: [await send('POST', `/s/${opened.body.token}`, { json: { score: 9 }, headers: { ...origin, accept: 'application/json' } }), 200],
      'answer, invalid': [await send('POST', `/s/${opened.body.token}`, { json: { score: 11 }, headers: { ...origin, accept: 'application/json' } }), 400],
      'answer, unknown link': [await send('POST', '/s/not-a-link', { json: { score: 9 }, headers: { ...origin, accept: 'application/json' } }), 404],
    } as const;
    for (const [what, [res, status]] of Object.entries(answers)) {
      expect(res.status, `${what}: ${res.text}`).toBe(status);
      expect(res.headers.get('access-control-allow-origin'), what).toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), what).toBeNull();
    }
  });

  it('a signed user gets an in-app invitation and texts; the same hour it resumes; once answered, fatigue hides it', async () => {
    const userId = `user-${uniq()}`;
    const first = await session(userId, {}, { 'accept-language': 'de' });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({
      show: true,
      locale: 'de',
      dir: 'ltr',
      texts: { question: expect.stringContaining('Wie wahrscheinlich'), comment: { detractor: expect.any(String), passive: expect.any(String), promoter: expect.any(String) }, close: 'Schließen' },
    });
    const [inv] = await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.source, `widget:${userId}`)));
    expect(inv).toMatchObject({ channel: 'in_app', status: 'sent', touchpointId: inApp.touchpointId, unitId: t.units.root, locale: 'de' });
    expect(first.body.url).toBe(`http://127.0.0.1:8787/s/${first.body.token}`);

    const again = await session(userId);
    expect(again.body).toMatchObject({ show: true, token: first.body.token });

    const answer = await send('POST', `/s/${first.body.token}`, { json: { score: 8, state: first.body.state } });
    expect(answer.body.status).toBe('recorded');
    const [row] = await responseOf(t.tenantId, inv!.id);
    // A signed user's in-app invitation is personal: a score right after the prompt counts.
    expect(row).toMatchObject({ channel: 'in_app', score: 8, locale: 'de', qualityFlags: [], counted: true });
    expect(await session(userId)).toMatchObject({ status: 200, body: { show: false, reason: 'fatigue' } });
  });

  it('fatigue: any invitation to the contact within fatigueDays hides the widget', async () => {
    const contact = await makeContact(t.tenantId);
    await makeInvitation(std, t.units.berlin, { contactId: contact.id, createdAt: Date.now() - 10 * 86_400_000 });
    expect((await session(contact.externalId)).body).toEqual({ show: false, reason: 'fatigue' });
    const old = await makeContact(t.tenantId);
    await makeInvitation(std, t.units.berlin, { contactId: old.id, createdAt: Date.now() - 100 * 86_400_000 });
    expect((await session(old.externalId)).body.show).toBe(true);
  });

  it('an opted-out contact never sees it; a test contact does, and its answer is flagged', async () => {
    const out = await makeContact(t.tenantId, { optedOut: true });
    expect((await session(out.externalId)).body).toEqual({ show: false, reason: 'opted_out' });
    const tester = await makeContact(t.tenantId, { isTest: true });
    const s = await session(tester.externalId);
    expect(s.body.show).toBe(true);
    const res = await send('POST', `/s/${s.body.token}`, { json: { score: 10 } });
    const [row] = await responseOf(
      t.tenantId,
      (
        await db()
          .select()
          .from(invitations)
          .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.contactId, tester.id)))
      )[0]!.id,
    );
    expect(row).toMatchObject({ id: res.body.responseId, qualityFlags: ['test_contact'], counted: false });
  });

  it('concurrent sessions of one new user create one invitation', async () => {
    const userId = `user-${uniq()}`;
    const results = await Promise.all(Array.from({ length: 6 }, () => session(userId)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const rows = await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.source, `widget:${userId}`)));
    expect(rows).toHaveLength(1);
  });

  it('refuses a wrong signature, a wrong key, a bad body; names an unknown touchpoint or unit; refuses a touchpoint without in_app', async () => {
    const userId = `user-${uniq()}`;
    const wrongSig = await send('POST', '/w/session', { json: { publicKey, userId, signature: await sign(`${userId}x`), touchpoint: inApp.touchpointKey } });
    expect(wrongSig.status).toBe(401);
    expect(wrongSig.body.error.code).toBe('UNAUTHORIZED');
    const otherSecret = await send('POST', '/w/session', {
      json: { publicKey, userId, signature: await sign(userId, inApp.touchpointKey, '', 'another-secret-0000000000000000'), touchpoint: inApp.touchpointKey },
    });
    expect(otherSecret.status).toBe(401);
    const wrongKey = await send('POST', '/w/session', { json: { publicKey: `wpk_${t.tenantId}_0000000000000000`, userId, signature: await sign(userId), touchpoint: inApp.touchpointKey } });
    expect(wrongKey.status).toBe(401);
    expect((await send('POST', '/w/session', { json: { publicKey, userId, signature: 'abc', touchpoint: inApp.touchpointKey } })).status).toBe(400);
    expect((await send('POST', '/w/session', { rawBody: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await session(userId, { touchpoint: 'no-such-touchpoint' })).status).toBe(404);
    expect((await session(userId, { unitId: 'unit_nope' })).status).toBe(404);
    const emailOnly = await makeSurvey(t.tenantId, { channels: ['email'] });
    expect((await session(userId, { touchpoint: emailOnly.touchpointKey })).status).toBe(422);
    // None of these created anything.
    const rows = await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.source, `widget:${userId}`)));
    expect(rows).toEqual([]);
  });

  it('names the unit given in the tag', async () => {
    const userId = `user-${uniq()}`;
    const res = await session(userId, { unitId: t.units.paris });
    expect(res.body.show).toBe(true);
    const [inv] = await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.source, `widget:${userId}`)));
    expect(inv!.unitId).toBe(t.units.paris);
  });

  it('the signature covers the touchpoint and the unit: a user signed for one cannot answer under another, and nothing is created', async () => {
    const userId = `user-${uniq()}`;
    const other = await makeSurvey(t.tenantId, { channels: ['in_app'] });
    const signed = { publicKey, userId, touchpoint: inApp.touchpointKey, unitId: t.units.paris, signature: await sign(userId, inApp.touchpointKey, t.units.paris) };
    const attempts = [
      { ...signed, unitId: t.units.newYork },
      { ...signed, unitId: undefined },
      { ...signed, touchpoint: other.touchpointKey },
      // The old form, a signature of the user id alone, no longer passes.
      {
        ...signed,
        unitId: undefined,
        signature: hex(
          await crypto.subtle.sign(
            'HMAC',
            await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
            new TextEncoder().encode(userId),
          ),
        ),
      },
    ];
    for (const json of attempts) {
      const res = await send('POST', '/w/session', { json });
      expect(res.status, JSON.stringify(json)).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    const bySource = () =>
      db()
        .select()
        .from(invitations)
        .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.source, `widget:${userId}`)));
    expect(await bySource()).toEqual([]);
    // Line breaks would make the signed message ambiguous: refused.
    expect((await send('POST', '/w/session', { json: { ...signed, userId: `${userId}\nx` } })).status).toBe(400);
    // As signed, it works, and the invitation is the signed unit's.
    const ok = await send('POST', '/w/session', { json: signed });
    expect(ok.body.show).toBe(true);
    expect((await bySource()).map((i) => [i.unitId, i.touchpointId])).toEqual([[t.units.paris, inApp.touchpointId]]);
  });

  it('an unknown key is 401 without looking through tenants: a key not of the issued shape is not found even when some settings hold it', async () => {
    const userId = `user-${uniq()}`;
    const odd = await makeTenant('Widget odd key');
    const oddKey = `legacy-${uniq()}${uniq()}`;
    await db()
      .update(tenants)
      .set({ settings: { widget: { publicKey: oddKey, secret } } })
      .where(eq(tenants.id, odd.tenantId));
    const oddTp = await makeSurvey(odd.tenantId, { channels: ['in_app'] });
    const res = await send('POST', '/w/session', { json: { publicKey: oddKey, userId, touchpoint: oddTp.touchpointKey, signature: await sign(userId, oddTp.touchpointKey) } });
    expect(res.status).toBe(401);
    expect(
      (await send('POST', '/w/session', { json: { publicKey: `wpk_${odd.tenantId}_0123456789abcdef`, userId, touchpoint: oddTp.touchpointKey, signature: await sign(userId, oddTp.touchpointKey) } }))
        .status,
    ).toBe(401);
    // The lookup of an issued key reads the tenant by its primary key: no table scan.
    const { sql: text, params } = widgetKeyLookup(new TenantDb(db(), odd.tenantId)).toSQL();
    const plan = await db().$client.execute({ sql: `explain query plan ${text}`, args: params as never });
    const details = plan.rows.map((r) => String(r.detail));
    expect(details.length).toBeGreaterThan(0);
    expect(
      details.every((d) => /^SEARCH tenants USING INDEX/.test(d)),
      details.join('; '),
    ).toBe(true);
  });
});
