import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client';
import { invitations, responses, touchpoints, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { DEMO_PASSWORD } from '../../scripts/demo-tenant';
import { axeViolations, callApi, launchChromium, shot } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/**
 * The survey page and the widget in a real browser: Debian's Chromium driven by playwright-core
 * against the product as `npm start` runs it (wrangler dev, the local libSQL server, local
 * queues). Everything is answered by keyboard alone at a 360 px wide viewport, with and without
 * JavaScript, in English, German and Arabic (right to left); axe-core checks each page; the
 * screenshots stay in test-results/screenshots/.
 */

const PHONE: BrowserContextOptions = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: false, hasTouch: false };
/** The capture flags an answer sooner than this after the page was rendered; a person waits. */
const READ_MS = 3200;

let stack: StartedStack;
let base: string;
let db: Db;
let browser: Browser;
let adminToken: string;
let tenantId: string;
let berlin: string;
let demo: { touchpointId: string; surveyId: string };
/** A survey in English, German and Arabic with a touchpoint for links and the widget. */
let multi: { surveyId: string; touchpointId: string; key: string };

const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);

const texts = (l: Record<string, string>) => ({
  'page.title': l.title!,
  'page.submit': l.submit!,
  'page.thanks': l.thanks!,
  'page.expired': l.expired!,
  'nps.label': l.question!,
  'nps.low': l.low!,
  'nps.high': l.high!,
  'reason.label.detractor': l.detractor!,
  'reason.label.passive': l.passive!,
  'reason.label.promoter': l.promoter!,
});

const MULTI_DEFINITION = {
  questions: [
    { id: 'nps', type: 'nps', required: true },
    { id: 'reason', type: 'comment' },
  ],
  translations: {
    en: texts({
      title: 'Your visit',
      submit: 'Send',
      thanks: 'Thank you!',
      expired: 'Closed.',
      question: 'How likely are you to recommend our service?',
      low: 'Not at all likely',
      high: 'Extremely likely',
      detractor: 'What went wrong?',
      passive: 'What would make it a 10?',
      promoter: 'What did you like most?',
    }),
    de: texts({
      title: 'Ihr Besuch',
      submit: 'Senden',
      thanks: 'Vielen Dank!',
      expired: 'Beendet.',
      question: 'Wie wahrscheinlich empfehlen Sie unseren Service weiter?',
      low: 'Überhaupt nicht wahrscheinlich',
      high: 'Äußerst wahrscheinlich',
      detractor: 'Was ist schiefgelaufen?',
      passive: 'Was fehlt zur 10?',
      promoter: 'Was hat Ihnen gefallen?',
    }),
    ar: texts({
      title: 'زيارتك',
      submit: 'إرسال',
      thanks: 'شكرًا لك!',
      expired: 'مغلق.',
      question: 'ما مدى احتمال أن توصي بخدمتنا؟',
      low: 'غير محتمل على الإطلاق',
      high: 'محتمل للغاية',
      detractor: 'ما الذي حدث بشكل خاطئ؟',
      passive: 'ما الذي يجعلها 10؟',
      promoter: 'ما الذي أعجبك أكثر؟',
    }),
  },
};

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  db = openDb(stack.libsqlUrl);

  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@acme.test', password: DEMO_PASSWORD }),
  });
  const session = (await login.json()) as { token: string; tenant: { id: string } };
  adminToken = session.token;
  tenantId = session.tenant.id;
  const [unit] = await db
    .select({ id: units.id })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.name, 'Berlin')));
  berlin = unit!.id;
  const [tp] = await db
    .select({ id: touchpoints.id, surveyId: touchpoints.surveyId })
    .from(touchpoints)
    .where(and(eq(touchpoints.tenantId, tenantId), eq(touchpoints.key, 'support-resolution')));
  demo = { touchpointId: tp!.id, surveyId: tp!.surveyId };

  // The three-language survey and its touchpoint, through the API as an admin would.
  const survey = await api('POST', '/api/v1/surveys', { name: 'Site visit (en, de, ar)', defaultLocale: 'en', definition: MULTI_DEFINITION });
  await api('POST', `/api/v1/surveys/${survey.id}/publish`);
  const key = 'site-visit-widget';
  const touchpoint = await api('POST', '/api/v1/touchpoints', { key, name: 'Site visit', kind: 'site_visit', surveyId: survey.id, channels: ['link', 'in_app'] });
  multi = { surveyId: survey.id, touchpointId: touchpoint.id, key };

  // Playwright starts Chromium with a fresh temporary profile (its own --user-data-dir) each launch.
  browser = await launchChromium();
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

/** An email invitation of the demo survey in Berlin, and its link as the API gives it to an admin. */
async function invitationLink(): Promise<{ id: string; url: string }> {
  const id = newId('inv');
  const now = Date.now();
  await db.insert(invitations).values({
    id,
    tenantId,
    unitId: berlin,
    touchpointId: demo.touchpointId,
    surveyId: demo.surveyId,
    surveyVersion: 1,
    channel: 'email',
    status: 'sent',
    source: `browser-test:${id}`,
    dueAt: now,
    sentAt: now,
    expiresAt: now + 7 * 86_400_000,
    createdAt: now,
    updatedAt: now,
  });
  const inv = await api('GET', `/api/v1/invitations/${id}`);
  expect(inv.link).toMatch(new RegExp(`^${base}/s/`));
  return { id, url: inv.link };
}

async function responseOfInvitation(invitationId: string) {
  const [row] = await db
    .select()
    .from(responses)
    .where(and(eq(responses.tenantId, tenantId), eq(responses.invitationId, invitationId)));
  return row;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** axe-core on the page as it is (its shadow roots included): no serious or critical violation. */
async function expectAccessible(page: Page, name: string) {
  expect(await axeViolations(page), `${name}: axe violations`).toEqual([]);
}

/** The page fits 360 px: no horizontal scrolling, every score a tap target of at least 44 × 24 px. */
async function expectPhoneLayout(page: Page, scoreIds: string[]) {
  // Nothing sticks out to either side (right to left included): the page never scrolls sideways.
  expect(await page.locator('html').evaluate((el) => [el.scrollWidth, el.clientWidth])).toEqual([360, 360]);
  for (const id of scoreIds) {
    const box = await page.locator(`label[for="${id}"]`).boundingBox();
    expect(box, id).not.toBeNull();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    expect(box!.width).toBeGreaterThanOrEqual(24);
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
  }
  // The 0–10 scale in one row, its end labels under 0 and under 10 (whichever side each is on).
  if (scoreIds.includes('nps-0') && scoreIds.includes('nps-10')) {
    const [zero, ten, low, high] = await Promise.all(['label[for="nps-0"]', 'label[for="nps-10"]', '#nps-low', '#nps-high'].map(async (sel) => (await page.locator(sel).boundingBox())!));
    expect(Math.abs(zero!.y - ten!.y)).toBeLessThan(1);
    const overlaps = (a: { x: number; width: number }, b: { x: number; width: number }) => a.x < b.x + b.width && b.x < a.x + a.width;
    expect(overlaps(low!, zero!), 'the low end under 0').toBe(true);
    expect(overlaps(high!, ten!), 'the high end under 10').toBe(true);
  }
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? null);

/** Tab from the top of the page into the score scale, then ArrowDown to `score` (direction-independent). */
async function keyToScore(page: Page, score: number, prefix = 'nps') {
  await page.keyboard.press('Tab');
  expect(await page.locator(`#${prefix}-0`).evaluate((el) => el === document.activeElement)).toBe(true);
  for (let i = 0; i < score; i++) await page.keyboard.press('ArrowDown');
  expect(await page.locator(`#${prefix}-${score}`).isChecked()).toBe(true);
}

describe('the hosted survey page in Chromium', () => {
  it('English, with JavaScript, keyboard only: the score is saved on Enter before the comment, then the comment', async () => {
    const inv = await invitationLink();
    const context = await browser.newContext({ ...PHONE, locale: 'en-US', bypassCSP: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(inv.url);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expectPhoneLayout(page, ['nps-0', 'nps-5', 'nps-10']);
    await shot(page, 'en-js-1-question');
    await expectAccessible(page, 'en question');

    await keyToScore(page, 9);
    // Arrow keys only move through the scale: nothing is saved on the way.
    expect(await responseOfInvitation(inv.id)).toBeUndefined();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BUTTON');
    await page.waitForTimeout(READ_MS);
    await page.keyboard.press('Enter');
    // Saved at once by the script (fetch), on the same page; the comment prompt of a promoter appears and takes the focus.
    await page.locator('textarea#q-reason').waitFor({ state: 'visible' });
    expect(await page.locator('label[for="q-reason"]').textContent()).toBe('Great to hear! What did you like most?');
    expect(await focusedId(page)).toBe('q-reason');
    const saved = await waitFor('the saved score', async () => responseOfInvitation(inv.id));
    expect(saved).toMatchObject({ score: 9, comment: null });
    expect(page.url()).toBe(inv.url);
    await shot(page, 'en-js-2-comment');
    await expectAccessible(page, 'en comment prompt');

    await page.keyboard.type('The engineer fixed it on the first visit.');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Thank you for your feedback.' }).waitFor();
    await shot(page, 'en-js-3-thanks');
    await expectAccessible(page, 'en thanks');

    const row = await responseOfInvitation(inv.id);
    const res = await api('GET', `/api/v1/responses/${row!.id}`);
    expect(res).toMatchObject({ score: 9, category: 'promoter', comment: 'The engineer fixed it on the first visit.', locale: 'en', channel: 'email', qualityFlags: [], counted: true });
    expect((await api('GET', `/api/v1/invitations/${inv.id}`)).status).toBe('answered');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('a score link of the email saves that score on landing; a link scanner that runs no script saves nothing', async () => {
    const inv = await invitationLink();
    // A mail scanner fetches every link of the email without running scripts: the page opens, nothing is saved.
    const scanner = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    const fetched = await scanner.newPage();
    await fetched.goto(`${inv.url}?score=3`);
    await fetched.locator('#nps-3:checked').waitFor({ state: 'attached' });
    await fetched.waitForTimeout(READ_MS);
    expect(await responseOfInvitation(inv.id)).toBeUndefined();
    await scanner.close();

    // The respondent's one click on 9 in the email: saved on landing, the promoter's comment prompt shown.
    const context = await browser.newContext({ ...PHONE, locale: 'en-US', bypassCSP: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${inv.url}?score=9`);
    await page.locator('textarea#q-reason').waitFor({ state: 'visible' });
    const saved = await waitFor('the score saved on landing', async () => responseOfInvitation(inv.id));
    expect(saved).toMatchObject({ score: 9, comment: null });
    await shot(page, 'en-js-score-link-landed');
    await expectAccessible(page, 'score link landed');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('German, without JavaScript, keyboard only: a plain form post shows page two, another saves the comment', async () => {
    const inv = await invitationLink();
    const context = await browser.newContext({ ...PHONE, locale: 'de-DE', javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(inv.url);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.locator('legend').first().textContent()).toBe('Wie wahrscheinlich ist es, dass Sie Acme Field Services einem Freund oder Kollegen empfehlen?');
    await expectPhoneLayout(page, ['nps-0', 'nps-6', 'nps-10']);
    await shot(page, 'de-nojs-1-question');

    await keyToScore(page, 3);
    await page.keyboard.press('Tab');
    await page.waitForTimeout(READ_MS);
    await page.keyboard.press('Enter');
    await page.getByText('Ihre Bewertung: 3').waitFor();
    expect(await page.locator('label[for="q-reason"]').textContent()).toBe('Das tut uns leid. Was hätten wir besser machen sollen?');
    expect(await responseOfInvitation(inv.id)).toMatchObject({ score: 3, comment: null, locale: 'de' });
    await shot(page, 'de-nojs-2-comment');

    await page.keyboard.press('Tab');
    expect(await page.locator('#q-reason').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('Der Techniker kam zwei Tage zu spät.');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Vielen Dank für Ihr Feedback.' }).waitFor();
    await shot(page, 'de-nojs-3-thanks');
    const row = await responseOfInvitation(inv.id);
    expect(await api('GET', `/api/v1/responses/${row!.id}`)).toMatchObject({
      score: 3,
      category: 'detractor',
      comment: 'Der Techniker kam zwei Tage zu spät.',
      locale: 'de',
      qualityFlags: [],
      counted: true,
    });
    await context.close();

    // The same pages with scripts on, for axe: page two (the comment is missing) and the thank-you.
    const check = await browser.newContext({ ...PHONE, locale: 'de-DE', bypassCSP: true });
    const again = await check.newPage();
    await again.goto(inv.url);
    await expectAccessible(again, 'de thanks');
    const other = await invitationLink();
    await again.goto(other.url);
    await expectAccessible(again, 'de question');
    await check.close();
  }, 60_000);

  it('Arabic, right to left, an anonymous link, keyboard only with JavaScript', async () => {
    const link = await api('POST', `/api/v1/touchpoints/${multi.touchpointId}/links`, { unitId: berlin });
    const context = await browser.newContext({ ...PHONE, locale: 'ar-EG', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(link.url);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.getAttribute('html', 'lang')).toBe('ar');
    // Right to left: 0 sits at the right edge of the first row.
    const zero = (await page.locator('label[for="nps-0"]').boundingBox())!;
    const one = (await page.locator('label[for="nps-1"]').boundingBox())!;
    expect(zero.x).toBeGreaterThan(one.x);
    await expectPhoneLayout(page, ['nps-0', 'nps-10']);
    await shot(page, 'ar-rtl-1-question');
    await expectAccessible(page, 'ar question');

    await keyToScore(page, 7);
    await page.waitForTimeout(READ_MS);
    // Space on the checked radio does nothing; Enter submits (implicit submission from the radio).
    await page.keyboard.press('Enter');
    await page.locator('textarea#q-reason').waitFor({ state: 'visible' });
    expect(await page.locator('label[for="q-reason"]').textContent()).toBe('ما الذي يجعلها 10؟');
    await page.keyboard.type('أسرع من فضلك');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'شكرًا لك!' }).waitFor();
    await shot(page, 'ar-rtl-2-thanks');
    const [row] = await db
      .select()
      .from(responses)
      .where(and(eq(responses.tenantId, tenantId), eq(responses.touchpointId, multi.touchpointId), eq(responses.channel, 'link')));
    expect(row).toMatchObject({ invitationId: null, score: 7, comment: 'أسرع من فضلك', locale: 'ar', qualityFlags: [], counted: true, unitId: berlin });
    await context.close();
  }, 60_000);

  it("a link that was tampered with gets a friendly page, in the browser's language", async () => {
    const inv = await invitationLink();
    const context = await browser.newContext({ ...PHONE, locale: 'de-DE', bypassCSP: true });
    const page = await context.newPage();
    const res = await page.goto(`${inv.url.slice(0, -4)}AAAA`);
    expect(res!.status()).toBe(404);
    await page.getByRole('heading', { name: 'Dieser Link ist ungültig' }).waitFor();
    await shot(page, 'de-invalid-link');
    await expectAccessible(page, 'invalid link');
    await context.close();
  }, 30_000);
});

describe('the widget in a host page', () => {
  let host: Server;
  let hostUrl: string;
  let widget: { publicKey: string; secret: string };
  const userId = `user-${Date.now()}`;

  beforeAll(async () => {
    widget = await api('POST', '/api/v1/settings/widget-key');
    // The tenant's backend signs user, touchpoint and unit (docs/widget.md).
    const signature = createHmac('sha256', widget.secret).update(`${userId}\n${multi.key}\n${berlin}`).digest('hex');
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Acme customer portal</title></head>
<body><main><h1>Your tickets</h1><p>Ticket 4711 was resolved yesterday.</p></main>
<script src="${base}/widget.js" data-key="${widget.publicKey}" data-user="${userId}" data-signature="${signature}" data-touchpoint="${multi.key}" data-unit="${berlin}"></script>
</body></html>`;
    host = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}/portal`;
  });
  afterAll(() => new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve())));

  const inWidget = (page: Page, selector: string) => page.locator('[data-nps-widget]').locator(selector);
  const widgetFocus = (page: Page) =>
    page.evaluate(
      () => document.querySelector('[data-nps-widget]')?.shadowRoot?.activeElement?.getAttribute('id') ?? document.querySelector('[data-nps-widget]')?.shadowRoot?.activeElement?.className ?? null,
    );

  it('shows once, is answered by keyboard from another origin, then the fatigue rule hides it', async () => {
    const context = await browser.newContext({ ...PHONE, locale: 'en-GB' });
    const page = await context.newPage();
    const sessionAnswer = page.waitForResponse((r) => r.url() === `${base}/w/session`);
    await page.goto(hostUrl);
    expect(await (await sessionAnswer).json()).toMatchObject({ show: true, locale: 'en' });
    await inWidget(page, 'legend').waitFor();
    expect(await inWidget(page, 'legend').textContent()).toBe('How likely are you to recommend our service?');
    await shot(page, 'widget-1-shown');
    expect(await axeViolations(page)).toEqual([]);

    // Tab: the close button, then the scale; arrows to 10; Tab to the button; Enter saves.
    await page.keyboard.press('Tab');
    expect(await widgetFocus(page)).toBe('x');
    await page.keyboard.press('Tab');
    expect(await widgetFocus(page)).toBe('s0');
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowDown');
    expect(await inWidget(page, '#s10').isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await widgetFocus(page)).toBe('go');
    await page.waitForTimeout(READ_MS);
    await page.keyboard.press('Enter');
    await inWidget(page, '#cm').waitFor({ state: 'visible' });
    expect(await widgetFocus(page)).toBe('cm');
    expect(await inWidget(page, 'label[for="cm"]').textContent()).toBe('What did you like most?');
    await shot(page, 'widget-2-comment');
    await page.keyboard.type('Booking a visit in the portal');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await inWidget(page, 'p[role="status"]').getByText('Thank you!', { exact: true }).waitFor();
    await shot(page, 'widget-3-thanks');

    const [inv] = await db
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, tenantId), eq(invitations.source, `widget:${userId}`)));
    expect(inv).toMatchObject({ channel: 'in_app', unitId: berlin, touchpointId: multi.touchpointId, status: 'answered' });
    expect(await responseOfInvitation(inv!.id)).toMatchObject({ channel: 'in_app', score: 10, comment: 'Booking a visit in the portal', qualityFlags: [], counted: true });
    await context.close();

    // Next visit (a new browser session): fatigue, nothing shown.
    const later = await browser.newContext({ ...PHONE, locale: 'en-GB' });
    const next = await later.newPage();
    const hidden = next.waitForResponse((r) => r.url() === `${base}/w/session`);
    await next.goto(hostUrl);
    expect(await (await hidden).json()).toEqual({ show: false, reason: 'fatigue' });
    await next.waitForTimeout(300);
    expect(await next.locator('[data-nps-widget]').count()).toBe(0);
    await shot(next, 'widget-4-fatigue');
    await later.close();
    expect(
      await db
        .select()
        .from(invitations)
        .where(and(eq(invitations.tenantId, tenantId), eq(invitations.source, `widget:${userId}`))),
    ).toHaveLength(1);
  }, 60_000);
});
